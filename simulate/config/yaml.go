package config

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Setting is one value read from an experiment file, already converted to its field's kind.
type Setting struct {
	Field Field
	Value any
	Line  int
}

// ReadYAML reads an experiment file. Keys are nested as in Vidur's config.json
// (cluster_config: {replica_config: {tensor_parallel_size: 2}}); Vidur's flat flag names are
// accepted as top-level keys too (replica_config_tensor_parallel_size: 2). null means the
// setting's zero value, Vidur's None. Every problem is reported with the file name, line and
// key: an unknown key (with the nearest known one), a value of the wrong kind, a setting given
// twice.
func ReadYAML(name string, data []byte) ([]Setting, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config: %s: %w", name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config: %s:%d: the file must be a mapping of keys to values", name, root.Line)
	}
	r := yamlReader{name: name, ix: theIndex(), seen: map[string]int{}}
	r.mapping(root, "")
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	return r.out, nil
}

// LoadYAML returns Default with the settings of an experiment file applied.
func LoadYAML(name string, data []byte) (*Config, error) {
	settings, err := ReadYAML(name, data)
	if err != nil {
		return nil, err
	}
	c := Default()
	for _, s := range settings {
		s.Field.set(&c, s.Value)
	}
	return &c, nil
}

// NestedMap turns settings into nested maps keyed by the path of each field's key, the shape
// viper's MergeConfigMap takes.
func NestedMap(settings []Setting) map[string]any {
	root := map[string]any{}
	for _, s := range settings {
		parts := strings.Split(s.Field.Key, ".")
		m := root
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = s.Value
	}
	return root
}

type yamlReader struct {
	name string
	ix   *fieldIndex
	seen map[string]int // field key → line that set it
	out  []Setting
	errs []error
}

func (r *yamlReader) errorf(line int, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("config: %s:%d: "+format, append([]any{r.name, line}, args...)...))
}

func (r *yamlReader) mapping(m *yaml.Node, path string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		key := k.Value
		full := key
		if path != "" {
			full = path + "." + key
		}
		if fi, ok := r.ix.byKey[full]; ok {
			r.leaf(r.ix.fields[fi], full, v)
			continue
		}
		if r.ix.groups[full] {
			switch {
			case v.Kind == yaml.MappingNode:
				r.mapping(v, full)
			case v.Tag == "!!null":
			default:
				r.errorf(v.Line, "%s is a group of settings and needs a mapping, not %q", full, v.Value)
			}
			continue
		}
		if fi, ok := r.ix.byName[key]; ok && path == "" {
			r.leaf(r.ix.fields[fi], key, v)
			continue
		}
		r.errorf(k.Line, "unknown key %s%s", full, r.suggest(path, key))
	}
}

// suggest proposes the nearest key at the same level (and, at the top, the nearest flat name).
func (r *yamlReader) suggest(path, key string) string {
	var cands []string
	prefix := ""
	if path != "" {
		prefix = path + "."
	}
	for k := range r.ix.byKey {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			cands = append(cands, strings.Split(rest, ".")[0])
		}
	}
	if path == "" {
		for n := range r.ix.byName {
			cands = append(cands, n)
		}
	}
	sort.Strings(cands) // deterministic choice among equally near keys
	if s := nearest(key, slices.Compact(cands)); s != "" {
		return " (did you mean " + prefix + s + "?)"
	}
	return ""
}

func (r *yamlReader) leaf(f Field, written string, v *yaml.Node) {
	if prev, ok := r.seen[f.Key]; ok {
		r.errorf(v.Line, "%s sets %s, already set on line %d", written, f.Key, prev)
		return
	}
	r.seen[f.Key] = v.Line
	val, err := nodeValue(f, v)
	if err != nil {
		r.errorf(v.Line, "%s: %v", written, err)
		return
	}
	r.out = append(r.out, Setting{Field: f, Value: val, Line: v.Line})
}

func nodeValue(f Field, v *yaml.Node) (any, error) {
	if v.Tag == "!!null" {
		return zeroOf(f.Kind), nil
	}
	switch v.Kind {
	case yaml.ScalarNode:
		return f.Parse(v.Value)
	case yaml.SequenceNode:
		if f.Kind != KindIntList && f.Kind != KindBoolList {
			return nil, fmt.Errorf("takes one %s, not a list", f.Kind)
		}
		items := make([]string, 0, len(v.Content))
		for _, it := range v.Content {
			if it.Kind == yaml.AliasNode {
				it = it.Alias
			}
			if it.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("list items must be plain values")
			}
			items = append(items, it.Value)
		}
		return f.Parse(strings.Join(items, ","))
	}
	return nil, fmt.Errorf("takes a %s, not a mapping", f.Kind)
}

func zeroOf(k Kind) any {
	switch k {
	case KindInt:
		return 0
	case KindInt64:
		return int64(0)
	case KindFloat:
		return 0.0
	case KindBool:
		return false
	case KindIntList:
		return []int{}
	case KindBoolList:
		return []bool{}
	}
	return ""
}
