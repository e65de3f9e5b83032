// Package suggest finds the known name a mistyped one was probably meant to be, for the
// "did you mean ...?" part of an error message.
//
// Reading guide: suggest.go holds Distance, the edit distance both catalog lookups and
// simulate/config's flag and YAML-key checks rank candidates by. The policies of how near
// is near enough stay with those callers, because they differ: a catalog lookup also
// accepts substrings and the part after an organisation prefix, a flag lookup only the
// edit distance.
package suggest
