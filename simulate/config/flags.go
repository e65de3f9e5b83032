package config

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/llmsim/llmsim/internal/suggest"
)

// RegisterFlags adds one flag per setting to fs, named as Vidur names it
// (--replica_config_tensor_parallel_size, --sarathi_scheduler_config_chunk_size, ...) and
// storing into c; the flag defaults are c's current values. Booleans also get Vidur's --no-x
// form, and settings Vidur repeats per predictor type get those names as aliases; both are
// hidden from --help and forward to the main flag, so a flag binding (viper) sees one flag per
// setting.
func RegisterFlags(fs *pflag.FlagSet, c *Config) {
	for _, f := range Fields() {
		usage := f.Usage
		switch p := f.Ptr(c).(type) {
		case *string:
			fs.StringVar(p, f.Flag, *p, usage)
		case *int:
			fs.IntVar(p, f.Flag, *p, usage)
		case *int64:
			fs.Int64Var(p, f.Flag, *p, usage)
		case *float64:
			fs.Float64Var(p, f.Flag, *p, usage)
		case *bool:
			fs.BoolVar(p, f.Flag, *p, usage)
		case *[]int:
			fs.IntSliceVar(p, f.Flag, *p, usage)
		case *[]bool:
			fs.BoolSliceVar(p, f.Flag, *p, usage)
		}
		names := append([]string{f.Flag}, f.Aliases...)
		for _, name := range names[1:] {
			addForward(fs, name, f.Flag, false, f.Kind == KindBool)
		}
		if f.Kind == KindBool {
			for _, name := range names {
				addForward(fs, "no-"+name, f.Flag, true, true)
			}
		}
	}
}

// forward is a flag that sets another flag: an alias, or the --no-x form of boolean x (negate).
type forward struct {
	fs     *pflag.FlagSet
	target string
	negate bool
	typ    string
}

func (v *forward) String() string { return "" }
func (v *forward) Type() string   { return v.typ }

func (v *forward) Set(s string) error {
	if v.negate {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		s = strconv.FormatBool(!b)
	}
	return v.fs.Set(v.target, s)
}

func addForward(fs *pflag.FlagSet, name, target string, negate, boolean bool) {
	typ := fs.Lookup(target).Value.Type()
	usage := "same as --" + target
	if negate {
		typ, usage = "bool", "sets --"+target+" to false"
	}
	fl := fs.VarPF(&forward{fs: fs, target: target, negate: negate, typ: typ}, name, "", usage)
	if boolean {
		fl.NoOptDefVal = "true"
	}
	fl.Hidden = true
}

// FromArgs parses a Vidur-style argument list (what follows `python3 -m vidur.main`) into a
// Config that starts from Default. Lists may be written as Vidur takes them
// (--…_num_estimators 250 500 750) or comma-separated. Tokens such as $CASE/trace.csv are kept
// as they are. An unknown flag is an error that names it and, when there is one, the nearest
// known flag. The result is not validated; call Validate.
func FromArgs(args []string) (*Config, error) {
	c := Default()
	fs := pflag.NewFlagSet("vidur", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	RegisterFlags(fs, &c)
	if err := fs.Parse(joinListArgs(fs, args)); err != nil {
		return nil, fmt.Errorf("config: %w", FlagError(fs, err))
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("config: unexpected argument %q (every setting is a --flag)", fs.Arg(0))
	}
	return &c, nil
}

// FromCommandLine parses a Vidur command line as written in a script or a cmd.txt: lines
// starting with # are comments, a trailing backslash continues a line, quotes group words, and
// leading words before the first flag (python3 -m vidur.main) are skipped.
func FromCommandLine(text string) (*Config, error) {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") {
			continue
		}
		b.WriteString(strings.TrimSuffix(t, "\\"))
		b.WriteByte(' ')
	}
	words, err := splitWords(b.String())
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for len(words) > 0 && !strings.HasPrefix(words[0], "--") {
		words = words[1:]
	}
	return FromArgs(words)
}

// splitWords splits a command line into words the way a POSIX shell does for plain words,
// single and double quotes and backslash escapes; variables are not expanded.
func splitWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word
		quote rune
	)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else if r == '\\' && quote == '"' && i+1 < len(rs) {
				i++
				cur.WriteRune(rs[i])
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == '\\' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i])
			in = true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in command line", quote)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// joinListArgs rewrites Vidur's nargs="+" lists (--flag 1 2 3) into pflag's --flag=1,2,3.
func joinListArgs(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		if !strings.HasPrefix(a, "--") || strings.Contains(a, "=") {
			continue
		}
		fl := fs.Lookup(strings.TrimPrefix(a, "--"))
		if fl == nil || !strings.HasSuffix(fl.Value.Type(), "Slice") {
			continue
		}
		var items []string
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			i++
			items = append(items, args[i])
		}
		if len(items) > 0 {
			out[len(out)-1] = a + "=" + strings.Join(items, ",")
		}
	}
	return out
}

// FlagError rewrites pflag's "unknown flag" error to suggest the nearest known flag; other
// errors are returned unchanged. Use it as a cobra FlagErrorFunc.
func FlagError(fs *pflag.FlagSet, err error) error {
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) || ne.GetSpecifiedName() == "" {
		return err
	}
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if s := nearest(ne.GetSpecifiedName(), names); s != "" {
		return fmt.Errorf("unknown flag --%s (did you mean --%s?)", ne.GetSpecifiedName(), s)
	}
	return fmt.Errorf("unknown flag --%s", ne.GetSpecifiedName())
}

// nearest returns the candidate closest to s by edit distance, or "" when none is close enough
// to be a plausible typo.
func nearest(s string, candidates []string) string {
	best, bestD := "", len(s)/3+2
	for _, c := range candidates {
		if d := suggest.Distance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
