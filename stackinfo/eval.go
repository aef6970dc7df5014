package stackinfo

import (
	"strconv"
	"strings"
)

// maxImportDepth bounds how many Fn::ImportValue hops an evaluation follows
// through the assembly, so that exports importing each other end.
const maxImportDepth = 8

// evaluator computes, from the assembly alone, the value an output will
// have once deployed, when that value depends on nothing CloudFormation
// decides: literals, the stack's account, region, partition and URL suffix,
// the names of repositories with a literal name, and exports of other stacks
// of the assembly. Anything else makes the value unknown.
type evaluator struct {
	stack Stack
	// names are the known repository names of the stack, by logical id.
	names map[string]string
	// importValue returns the value of an export of the stack's account and
	// region, evaluated from the assembly; depth counts the hops so far.
	importValue func(s Stack, name string, depth int) (string, bool)
	depth       int
}

// eval returns the string value of the expression v.
func (e *evaluator) eval(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case map[string]any:
		if len(v) != 1 {
			return "", false
		}
		for fn, arg := range v {
			return e.call(fn, arg)
		}
	}
	return "", false
}

// call evaluates the intrinsic function fn with its argument.
func (e *evaluator) call(fn string, arg any) (string, bool) {
	switch fn {
	case "Ref":
		id, ok := arg.(string)
		if !ok {
			return "", false
		}
		return e.ref(id)
	case "Fn::GetAtt":
		switch a := arg.(type) {
		case []any:
			if len(a) != 2 {
				return "", false
			}
			id, ok1 := a[0].(string)
			att, ok2 := a[1].(string)
			if !ok1 || !ok2 {
				return "", false
			}
			return e.getAtt(id, att)
		case string:
			id, att, ok := strings.Cut(a, ".")
			if !ok {
				return "", false
			}
			return e.getAtt(id, att)
		}
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return "", false
		}
		sep, ok := a[0].(string)
		if !ok {
			return "", false
		}
		parts, ok := e.list(a[1])
		if !ok {
			return "", false
		}
		return strings.Join(parts, sep), true
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return "", false
		}
		i, ok := index(a[0])
		if !ok {
			return "", false
		}
		items, ok := e.list(a[1])
		if !ok || i >= len(items) {
			return "", false
		}
		return items[i], true
	case "Fn::Sub":
		return e.sub(arg)
	case "Fn::ImportValue":
		if e.importValue == nil || e.depth >= maxImportDepth {
			return "", false
		}
		name, ok := e.eval(arg)
		if !ok {
			return "", false
		}
		return e.importValue(e.stack, name, e.depth+1)
	}
	return "", false
}

// list evaluates an expression whose value is a list of strings: a JSON
// list of expressions, or Fn::Split.
func (e *evaluator) list(v any) ([]string, bool) {
	switch v := v.(type) {
	case []any:
		out := make([]string, len(v))
		for i, item := range v {
			s, ok := e.eval(item)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	case map[string]any:
		a, ok := v["Fn::Split"].([]any)
		if len(v) != 1 || !ok || len(a) != 2 {
			return nil, false
		}
		sep, ok := a[0].(string)
		if !ok || sep == "" {
			return nil, false
		}
		s, ok := e.eval(a[1])
		if !ok {
			return nil, false
		}
		return strings.Split(s, sep), true
	}
	return nil, false
}

// index reads the index argument of Fn::Select, a number or a string.
func index(v any) (int, bool) {
	switch v := v.(type) {
	case float64:
		if v < 0 || v != float64(int(v)) {
			return 0, false
		}
		return int(v), true
	case string:
		i, err := strconv.Atoi(v)
		return i, err == nil && i >= 0
	}
	return 0, false
}

// ref evaluates {"Ref": id}: a pseudo parameter or a repository's name.
func (e *evaluator) ref(id string) (string, bool) {
	var v string
	switch id {
	case "AWS::AccountId":
		v = e.stack.Account
	case "AWS::Region":
		v = e.stack.Region
	case "AWS::Partition":
		v = partitionOf(e.stack.Region)
	case "AWS::URLSuffix":
		v = urlSuffix(e.stack.Region)
	case "AWS::StackName":
		v = e.stack.Name
	default:
		v = e.names[id]
	}
	return v, v != ""
}

// getAtt evaluates the Arn and RepositoryUri attributes of a repository
// whose name is known.
func (e *evaluator) getAtt(id, att string) (string, bool) {
	name := e.names[id]
	s := e.stack
	suffix := urlSuffix(s.Region)
	if name == "" || s.Account == "" || suffix == "" {
		return "", false
	}
	switch att {
	case "Arn":
		return "arn:" + partitionOf(s.Region) + ":ecr:" + s.Region + ":" + s.Account +
			":repository/" + name, true
	case "RepositoryUri":
		return s.Account + ".dkr.ecr." + s.Region + "." + suffix + "/" + name, true
	}
	return "", false
}

// sub evaluates Fn::Sub, in its string and its [string, variables] forms.
func (e *evaluator) sub(arg any) (string, bool) {
	var text string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) != 2 {
			return "", false
		}
		t, ok1 := a[0].(string)
		m, ok2 := a[1].(map[string]any)
		if !ok1 || !ok2 {
			return "", false
		}
		text, vars = t, m
	default:
		return "", false
	}
	var b strings.Builder
	for {
		start := strings.Index(text, "${")
		if start < 0 {
			b.WriteString(text)
			return b.String(), true
		}
		end := strings.Index(text[start:], "}")
		if end < 0 {
			b.WriteString(text)
			return b.String(), true
		}
		b.WriteString(text[:start])
		name := text[start+2 : start+end]
		text = text[start+end+1:]
		if literal, ok := strings.CutPrefix(name, "!"); ok {
			b.WriteString("${" + literal + "}")
			continue
		}
		var v string
		var ok bool
		switch expr, isVar := vars[name]; {
		case isVar:
			v, ok = e.eval(expr)
		case strings.Contains(name, "."):
			id, att, _ := strings.Cut(name, ".")
			v, ok = e.getAtt(id, att)
		default:
			v, ok = e.ref(name)
		}
		if !ok {
			return "", false
		}
		b.WriteString(v)
	}
}
