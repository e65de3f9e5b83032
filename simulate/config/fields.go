package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Field is one setting of Config: where it lives in a YAML file (Key), the Vidur flag that sets
// it (Flag) and the other flag names that set it too (Aliases). Fields are derived from Config's
// struct tags, so a setting added to Config is a flag, a YAML key and an environment variable at
// once.
type Field struct {
	Key     string   // nested YAML key, e.g. cluster_config.replica_config.tensor_parallel_size
	Flag    string   // Vidur's flat flag name without dashes, e.g. replica_config_tensor_parallel_size
	Aliases []string // other flat names for the same setting (Vidur's per-predictor copies)
	Usage   string   // one-line help
	Enum    []string // allowed values of a string setting; nil when free-form
	Kind    Kind

	index []int // reflect path from Config
}

// Kind is the Go type of a setting's value.
type Kind int

// The kinds of setting Config holds.
const (
	KindString Kind = iota
	KindInt
	KindInt64
	KindFloat
	KindBool
	KindIntList
	KindBoolList
)

// String names the kind as help and error messages write it.
func (k Kind) String() string {
	return [...]string{"string", "int", "int64", "float", "bool", "int list", "bool list"}[k]
}

// EnvVar is the environment variable that sets the field: LLMSIM_ and the flag name in upper case.
func (f Field) EnvVar() string { return "LLMSIM_" + strings.ToUpper(f.Flag) }

// NestedEnvVar is the environment variable spelled from the nested key
// (LLMSIM_CLUSTER_CONFIG_REPLICA_CONFIG_TENSOR_PARALLEL_SIZE); EnvVar wins when both are set.
func (f Field) NestedEnvVar() string {
	return "LLMSIM_" + strings.ToUpper(strings.ReplaceAll(f.Key, ".", "_"))
}

// Ptr returns a pointer to the field's value inside c: *string, *int, *int64, *float64, *bool,
// *[]int or *[]bool according to Kind.
func (f Field) Ptr(c *Config) any {
	return reflect.ValueOf(c).Elem().FieldByIndex(f.index).Addr().Interface()
}

// Value returns the field's value in c.
func (f Field) Value(c *Config) any {
	return reflect.ValueOf(c).Elem().FieldByIndex(f.index).Interface()
}

// Parse converts s to the field's kind, strictly: "2.5" is not an int and "yes" is not a bool.
// Lists are comma-separated.
func (f Field) Parse(s string) (any, error) {
	return parseKind(f.Kind, s)
}

// set stores v (already of the field's kind) into c.
func (f Field) set(c *Config, v any) {
	reflect.ValueOf(c).Elem().FieldByIndex(f.index).Set(reflect.ValueOf(v))
}

func parseKind(k Kind, s string) (any, error) {
	s = strings.TrimSpace(s)
	switch k {
	case KindString:
		return s, nil
	case KindInt:
		v, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return v, nil
	case KindInt64:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return v, nil
	case KindFloat:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return v, nil
	case KindBool:
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", s)
		}
		return v, nil
	case KindIntList:
		out := []int{}
		for _, p := range splitList(s) {
			v, err := strconv.Atoi(p)
			if err != nil {
				return nil, fmt.Errorf("%q is not an integer", p)
			}
			out = append(out, v)
		}
		return out, nil
	case KindBoolList:
		out := []bool{}
		for _, p := range splitList(s) {
			v, err := strconv.ParseBool(p)
			if err != nil {
				return nil, fmt.Errorf("%q is not true or false", p)
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported kind %d", k)
}

// splitList splits "1,2, 3" and "[1 2 3]" (pflag's and Python's list spellings) into items.
func splitList(s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]")
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// Fields lists every setting of Config in declaration order. It walks Config's struct tags:
// a struct field's "flag" tag is the flag prefix of its members and its "alias" tag the
// alternative prefixes; a leaf's "flag" tag, when present, is its whole flag name.
func Fields() []Field { return slices.Clone(fieldList()) }

// fieldList and theIndex are derived once from Config's type and never change.
var (
	fieldList = sync.OnceValue(func() []Field {
		var out []Field
		walkFields(reflect.TypeFor[Config](), nil, "", "", nil, &out)
		return out
	})
	theIndex = sync.OnceValue(newFieldIndex)
)

func walkFields(t reflect.Type, index []int, key, prefix string, aliases []string, out *[]Field) {
	for i := range t.NumField() {
		sf := t.Field(i)
		idx := append(append([]int(nil), index...), i)
		if sf.Anonymous { // embedded common settings: same key level, same prefix
			walkFields(sf.Type, idx, key, prefix, aliases, out)
			continue
		}
		name := strings.Split(sf.Tag.Get("yaml"), ",")[0]
		k := name
		if key != "" {
			k = key + "." + name
		}
		if sf.Type.Kind() == reflect.Struct {
			p, ok := sf.Tag.Lookup("flag")
			if !ok {
				panic("config: struct field " + sf.Name + " has no flag prefix tag")
			}
			var al []string
			if a := sf.Tag.Get("alias"); a != "" {
				al = strings.Split(a, ",")
			}
			walkFields(sf.Type, idx, k, p, al, out)
			continue
		}
		f := Field{Key: k, Usage: sf.Tag.Get("help"), index: idx, Kind: kindOf(sf.Type)}
		if full, ok := sf.Tag.Lookup("flag"); ok {
			f.Flag = full
		} else {
			f.Flag = prefix + name
			for _, a := range aliases {
				f.Aliases = append(f.Aliases, a+name)
			}
		}
		if e, ok := sf.Tag.Lookup("enum"); ok {
			f.Enum = strings.Split(e, ",")
		}
		*out = append(*out, f)
	}
}

func kindOf(t reflect.Type) Kind {
	switch t.Kind() {
	case reflect.String:
		return KindString
	case reflect.Int:
		return KindInt
	case reflect.Int64:
		return KindInt64
	case reflect.Float64:
		return KindFloat
	case reflect.Bool:
		return KindBool
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.Int:
			return KindIntList
		case reflect.Bool:
			return KindBoolList
		}
	}
	panic("config: unsupported setting type " + t.String())
}

// fieldIndex maps every flag name, alias and nested key to its field.
type fieldIndex struct {
	fields []Field
	byName map[string]int // flag names and aliases
	byKey  map[string]int // nested keys
	groups map[string]bool
}

func newFieldIndex() *fieldIndex {
	ix := &fieldIndex{fields: fieldList(), byName: map[string]int{}, byKey: map[string]int{}, groups: map[string]bool{}}
	for i, f := range ix.fields {
		ix.byName[f.Flag] = i
		for _, a := range f.Aliases {
			ix.byName[a] = i
		}
		ix.byKey[f.Key] = i
		parts := strings.Split(f.Key, ".")
		for j := 1; j < len(parts); j++ {
			ix.groups[strings.Join(parts[:j], ".")] = true
		}
	}
	return ix
}

// FieldByKey returns the field whose nested key or flag name (or alias) is name.
func FieldByKey(name string) (Field, bool) {
	ix := theIndex()
	if i, ok := ix.byKey[name]; ok {
		return ix.fields[i], true
	}
	if i, ok := ix.byName[name]; ok {
		return ix.fields[i], true
	}
	return Field{}, false
}
