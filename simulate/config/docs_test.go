package config

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/config.md's generated reference from the code")

const (
	docPath    = "../../docs/config.md"
	beginMark  = "<!-- BEGIN GENERATED: go test ./simulate/config -run TestConfigDoc -update -->"
	endMark    = "<!-- END GENERATED -->"
	docHowToUp = "go test ./simulate/config -run TestConfigDoc -update"
)

// TestConfigDoc checks that docs/config.md lists every setting with its current flag, key,
// default and help text; -update rewrites the generated part.
func TestConfigDoc(t *testing.T) {
	raw, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("%v (create it with the two markers, then run %s)", err, docHowToUp)
	}
	doc := string(raw)
	i, j := strings.Index(doc, beginMark), strings.Index(doc, endMark)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", docPath, beginMark, endMark)
	}
	want := doc[:i+len(beginMark)] + "\n" + reference() + doc[j:]
	if want == doc {
		return
	}
	if *update {
		if err := os.WriteFile(filepath.Clean(docPath), []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date with the code; run %s", docPath, docHowToUp)
}

// reference renders one table per group of settings.
func reference() string {
	def := Default()
	var b strings.Builder
	group := "-"
	for _, f := range Fields() {
		g := ""
		if k := strings.LastIndex(f.Key, "."); k >= 0 {
			g = f.Key[:k]
		}
		if g != group {
			group = g
			title := g
			if g == "" {
				title = "top level"
			}
			fmt.Fprintf(&b, "\n### %s\n\n| flag | YAML key | default | meaning |\n|---|---|---|---|\n", title)
		}
		usage := f.Usage
		if len(f.Aliases) > 0 {
			usage += " Also --" + strings.Join(f.Aliases, ", --") + "."
		}
		if f.Kind == KindBool {
			usage += " Negate with --no-" + f.Flag + "."
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s |\n", f.Flag, f.Key[len(g)+min(len(g), 1):], docValue(f.Value(&def)), strings.ReplaceAll(usage, "|", `\|`))
	}
	b.WriteString("\n")
	return b.String()
}

func docValue(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return `""`
		}
		return "`" + v + "`"
	case float64:
		return "`" + strconv.FormatFloat(v, 'g', -1, 64) + "`"
	case []int, []bool:
		s := strings.ReplaceAll(fmt.Sprint(v), " ", ", ")
		return "`" + s + "`"
	}
	return fmt.Sprintf("`%v`", v)
}
