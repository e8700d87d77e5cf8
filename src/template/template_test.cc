#include "template/template.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "template/format.h"

namespace mytsdb::tmpl {
namespace {

enum class Outcome { kOk, kParseError, kExecError };

struct Case {
  bool missing_key_zero;
  const char* text;
  Outcome outcome;
  const char* want;  // the output, the parse error, or the execution error's message
};

// The data of the cases below, as Go's test program builds it:
// map[string]interface{} with typed values, a list type with methods
// (Firing, Pick), a float type with a String method and a struct.
Value GoData() {
  auto alerts_type = std::make_shared<Type>();
  alerts_type->name = "main.Alerts";
  alerts_type->methods["Firing"] = Method{{}, false, Param::kAny, [](const Value& self, std::span<const Value>) {
                                            return Result<Value>(Value::MakeList({self.AsList()[0]}));
                                          }};
  alerts_type->methods["Pick"] = Method{{Param::kInt}, false, Param::kAny,
                                        [](const Value& self, std::span<const Value> args) -> Result<Value> {
                                          return self.AsList().at(static_cast<size_t>(args[0].AsInt()));
                                        }};
  auto temp_type = std::make_shared<Type>();
  temp_type->name = "main.Temp";
  temp_type->string_method = [](const Value& v) {
    const Value args[] = {v.kind() == Kind::kFloat ? Value::Float(v.AsFloat()) : v};
    return Sprintf("%.1f", args) + "\u00b0C";
  };
  auto s_type = std::make_shared<Type>();
  s_type->name = "main.S";
  std::map<std::string, Value, std::less<>> data;
  data["Labels"] = Value::StringMap({{"job", "api"}, {"instance", "h1:9100"}, {"quote", "a\"b"}});
  data["Value"] = Value::Float(1234567.0);
  data["Small"] = Value::Float(0.00001);
  data["Inf"] = Value::Float(std::numeric_limits<double>::infinity());
  data["NaN"] = Value::Float(std::nan(""));
  data["List"] = Value::MakeList({Value::Int(1), Value::Int(2), Value::Int(3)});
  data["Strs"] = Value::MakeList({Value::String("a"), Value::String("b")});
  data["Map"] = Value::MakeMap({{"b", Value::Int(2)}, {"a", Value::String("x")}}, Value());
  data["Str"] = Value::String("hello");
  data["Int"] = Value::Int(42);
  data["Zero"] = Value::Int(0);
  data["Float"] = Value::Float(2.5);
  data["Nil"] = Value();
  data["Empty"] = Value::MakeList({});
  data["True"] = Value::Bool(true);
  data["Alerts"] = Value::MakeList({Value::String("first"), Value::String("second")}, alerts_type);
  data["Temp"] = Value::Typed(Value::Float(21.25), temp_type);
  data["S"] = Value::Struct({{"Name", Value::String("n")}, {"Count", Value::Int(3)}}, s_type);
  return Value::MakeMap(std::move(data), Value());
}

// Expected results: the output of Go 1.26's text/template for the same
// templates and data (Option("missingkey=zero") where the first field is
// true); for execution errors the message after Go's "executing ... at
// <...>: ". Where MyTSDB differs on purpose, kDeviations says how and why.
const Case kGoCases[] = {
    {false, "hello", Outcome::kOk, "hello"},
    {false, "hello {{.Str}}", Outcome::kOk, "hello hello"},
    {false, "{{23 -}} < {{- 45}}", Outcome::kOk, "23<45"},
    {false, "a{{/* comment */}}b", Outcome::kOk, "ab"},
    {false, "a {{- /* comment */ -}} b", Outcome::kOk, "ab"},
    {false, "a  {{- .Str}}  b", Outcome::kOk, "ahello  b"},
    {false, "{{.Str -}}  \n  b", Outcome::kOk, "hellob"},
    {false, "{{.Labels.job}}", Outcome::kOk, "api"},
    {false, "{{.Labels.missing}}", Outcome::kOk, "<no value>"},
    {true, "{{.Labels.missing}}", Outcome::kOk, ""},
    {false, "{{.Map.missing}}", Outcome::kOk, "<no value>"},
    {true, "{{.Map.missing}}", Outcome::kOk, "<no value>"},
    {false, "{{.Nil}}", Outcome::kOk, "<no value>"},
    {false, "{{.Nil.Foo}}", Outcome::kExecError, "nil pointer evaluating interface {}.Foo"},
    {false, "{{.Missing}}", Outcome::kOk, "<no value>"},
    {false, "{{.Missing.Deeper}}", Outcome::kOk, "<no value>"},
    {false, "{{$x := 1}}{{$x}}", Outcome::kOk, "1"},
    {false, "{{$x := 1}}{{$x = 2}}{{$x}}", Outcome::kOk, "2"},
    {false, "{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}", Outcome::kOk, "21"},
    {false, "{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", Outcome::kOk, "2"},
    {false, "{{$}}", Outcome::kOk, "map[Alerts:[first second] Empty:[] Float:2.5 Inf:+Inf Int:42 Labels:map[instance:h1:9100 job:api quote:a\"b] List:[1 2 3] Map:map[a:x b:2] NaN:NaN Nil:<nil> S:{n 3} Small:1e-05 Str:hello Strs:[a b] Temp:21.2°C True:true Value:1.234567e+06 Zero:0]"},
    {false, "{{$.Str}}", Outcome::kOk, "hello"},
    {false, "{{if .True}}yes{{else}}no{{end}}", Outcome::kOk, "yes"},
    {false, "{{if .Zero}}yes{{else if .Int}}int{{else}}no{{end}}", Outcome::kOk, "int"},
    {false, "{{if .Empty}}yes{{else}}empty{{end}}", Outcome::kOk, "empty"},
    {false, "{{if .Nil}}yes{{else}}nil{{end}}", Outcome::kOk, "nil"},
    {false, "{{if .Map}}map{{end}}", Outcome::kOk, "map"},
    {false, "{{if .S}}struct{{end}}", Outcome::kOk, "struct"},
    {false, "{{with .Str}}{{.}}{{end}}", Outcome::kOk, "hello"},
    {false, "{{with .Zero}}{{.}}{{else}}zero{{end}}", Outcome::kOk, "zero"},
    {false, "{{with .Zero}}a{{else with .Int}}{{.}}{{end}}", Outcome::kOk, "42"},
    {false, "{{with $x := .Int}}{{$x}}{{.}}{{end}}", Outcome::kOk, "4242"},
    {false, "{{range .List}}[{{.}}]{{end}}", Outcome::kOk, "[1][2][3]"},
    {false, "{{range $i, $e := .List}}{{$i}}={{$e}} {{end}}", Outcome::kOk, "0=1 1=2 2=3 "},
    {false, "{{range $e := .Strs}}{{$e}}{{end}}", Outcome::kOk, "ab"},
    {false, "{{range $k, $v := .Map}}{{$k}}:{{$v}} {{end}}", Outcome::kOk, "a:x b:2 "},
    {false, "{{range .Labels}}{{.}},{{end}}", Outcome::kOk, "h1:9100,api,a\"b,"},
    {false, "{{range .Empty}}x{{else}}none{{end}}", Outcome::kOk, "none"},
    {false, "{{range .Nil}}x{{else}}nil{{end}}", Outcome::kOk, "nil"},
    {false, "{{range 3}}{{.}}{{end}}", Outcome::kOk, "012"},
    {false, "{{range $i := 3}}{{$i}}{{end}}", Outcome::kOk, "012"},
    {false, "{{range .List}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}", Outcome::kOk, "1"},
    {false, "{{range .List}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}", Outcome::kOk, "13"},
    {false, "{{range .Str}}x{{end}}", Outcome::kExecError, "range can't iterate over hello"},
    {false, "{{$i := 0}}{{range $i = .List}}{{end}}{{$i}}", Outcome::kOk, "3"},
    {false, "{{range $i, $e = .List}}{{end}}", Outcome::kExecError, "undefined variable: $i"},
    {false, "{{$a := 0}}{{$b := 0}}{{range $a, $b = .Strs}}{{end}}{{$a}}{{$b}}", Outcome::kOk, "1b"},
    {false, "{{\"abc\" | printf \"%s!\"}}", Outcome::kOk, "abc!"},
    {false, "{{1.5 | printf \"%.2f\"}}", Outcome::kOk, "1.50"},
    {false, "{{printf \"%d\" (len \"abc\")}}", Outcome::kOk, "3"},
    {false, "{{.Str | len | printf \"%03d\"}}", Outcome::kOk, "005"},
    {false, "{{define \"x\"}}X{{.}}{{end}}{{template \"x\" 5}}", Outcome::kOk, "X5"},
    {false, "{{define \"x\"}}X{{.}}{{end}}{{template \"x\"}}", Outcome::kOk, "X<no value>"},
    {false, "{{block \"b\" .Str}}<{{.}}>{{end}}", Outcome::kOk, "<hello>"},
    {false, "{{template \"nope\"}}", Outcome::kExecError, "template \"nope\" not defined"},
    {false, "{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}", Outcome::kExecError, "exceeded maximum template depth (100000)"},
    {false, "{{and 1 0}}", Outcome::kOk, "0"},
    {false, "{{and 1 2}}", Outcome::kOk, "2"},
    {false, "{{or 0 \"\" \"x\"}}", Outcome::kOk, "x"},
    {false, "{{or 0 \"\"}}", Outcome::kOk, ""},
    {false, "{{and .Nil.Foo 1}}", Outcome::kExecError, "nil pointer evaluating interface {}.Foo"},
    {false, "{{not 0}} {{not \"a\"}}", Outcome::kOk, "true false"},
    {false, "{{len .List}} {{len .Map}} {{len \"héllo\"}}", Outcome::kOk, "3 2 6"},
    {false, "{{len 3}}", Outcome::kExecError, "error calling len: len of type int"},
    {false, "{{len .Nil}}", Outcome::kExecError, "error calling len: len of nil pointer"},
    {false, "{{index .List 1}}", Outcome::kOk, "2"},
    {false, "{{index .Map \"a\"}}", Outcome::kOk, "x"},
    {false, "{{index .Labels \"job\"}}", Outcome::kOk, "api"},
    {false, "{{index .Labels \"nope\"}}", Outcome::kOk, ""},
    {false, "{{index .Map \"nope\"}}", Outcome::kOk, "<no value>"},
    {false, "{{index .List 5}}", Outcome::kExecError, "error calling index: index out of range: 5"},
    {false, "{{index .Str 1}}", Outcome::kOk, "101"},
    {false, "{{index .Nil 1}}", Outcome::kExecError, "error calling index: index of untyped nil"},
    {false, "{{index .List \"a\"}}", Outcome::kExecError, "error calling index: cannot index slice/array with type string"},
    {false, "{{slice .Str 1 3}}", Outcome::kOk, "el"},
    {false, "{{slice .List 1}}", Outcome::kOk, "[2 3]"},
    {false, "{{slice .Str 3 1}}", Outcome::kExecError, "error calling slice: invalid slice index: 3 > 1"},
    {false, "{{eq 1 1}} {{eq 1 2}} {{eq 1 2 3 1}} {{eq \"a\" \"a\"}}", Outcome::kOk, "true false true true"},
    {false, "{{eq .Float 2.5}}", Outcome::kOk, "true"},
    {false, "{{eq .Float 2}}", Outcome::kExecError, "error calling eq: incompatible types for comparison: float64 and int"},
    {false, "{{eq .Nil .Nil}} {{eq .Nil 1}}", Outcome::kOk, "true false"},
    {false, "{{ne 1 2}}", Outcome::kOk, "true"},
    {false, "{{lt 1 2}} {{le 2 2}} {{gt 3 2}} {{ge 1 2}} {{lt \"a\" \"b\"}}", Outcome::kOk, "true true true false true"},
    {false, "{{lt 1.5 2}}", Outcome::kExecError, "error calling lt: incompatible types for comparison: float64 and int"},
    {false, "{{lt true false}}", Outcome::kExecError, "error calling lt: invalid type for comparison"},
    {false, "{{eq .List .List}}", Outcome::kExecError, "error calling eq: non-comparable type [%!s(int=1) %!s(int=2) %!s(int=3)]: []interface {}"},
    {false, "{{print 1 2 \"a\" 3 \"b\" \"c\"}}", Outcome::kOk, "1 2a3bc"},
    {false, "{{println 1 \"a\"}}", Outcome::kOk, "1 a\n"},
    {false, "{{print}}", Outcome::kOk, ""},
    {false, "{{print .Nil}}", Outcome::kOk, "<nil>"},
    {false, "{{html \"<a href=\\\"x\\\">'&'</a>\"}}", Outcome::kOk, "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"},
    {false, "{{js \"it's <b> & \\\"q\\\" = \\\\ \\x01 é\"}}", Outcome::kOk, "it\\'s \\u003Cb\\u003E \\u0026 \\\"q\\\" \\u003D \\\\ \\u0001 é"},
    {false, "{{urlquery \"a b&c=d/é\"}}", Outcome::kOk, "a+b%26c%3Dd%2F%C3%A9"},
    {false, "{{html 1 2}}", Outcome::kOk, "1 2"},
    {false, "{{printf \"%5.2f|%-5d|%05d|%x|%X|%q|%v|%s|%t|%e|%g|%%\" 3.14159 42 -42 255 255 \"a\\\"b\" .List \"s\" true 1234.5678 0.000012345}}", Outcome::kOk, " 3.14|42   |-0042|ff|FF|\"a\\\"b\"|[1 2 3]|s|true|1.234568e+03|1.2345e-05|%"},
    {false, "{{printf \"%d\"}}", Outcome::kOk, "%!d(MISSING)"},
    {false, "{{printf \"%d %d\" 1}}", Outcome::kOk, "1 %!d(MISSING)"},
    {false, "{{printf \"%d\" 1 2}}", Outcome::kOk, "1%!(EXTRA int=2)"},
    {false, "{{printf \"%d\" \"x\"}}", Outcome::kOk, "%!d(string=x)"},
    {false, "{{printf \"%s\" 5}}", Outcome::kOk, "%!s(int=5)"},
    {false, "{{printf \"%z\" 5}}", Outcome::kOk, "%!z(int=5)"},
    {false, "{{printf \"%v %v\" .Nil .Map}}", Outcome::kOk, "<nil> map[a:x b:2]"},
    {false, "{{printf \"%T %T %T %T %T\" 1 1.5 \"s\" .Labels .List}}", Outcome::kOk, "int float64 string map[string]string []interface {}"},
    {false, "{{printf \"%+d % d %+.1e %08.3f %-8.3f|\" 5 5 12345.678 -3.14159 3.14159}}", Outcome::kOk, "+5  5 +1.2e+04 -003.142 3.142   |"},
    {false, "{{printf \"%6s|%-6s|%.2s|%q|%#q\" \"ab\" \"ab\" \"abcdef\" \"tab\\there\" \"back\"}}", Outcome::kOk, "    ab|ab    |ab|\"tab\\there\"|`back`"},
    {false, "{{printf \"%c %U %#U %q\" 65 65 9731 97}}", Outcome::kOk, "A U+0041 U+2603 '☃' 'a'"},
    {false, "{{printf \"%x % x %X\" \"hi\" \"hi\" \"hi\"}}", Outcome::kOk, "6869 68 69 6869"},
    {false, "{{printf \"%o %#o %b %#x %O\" 8 8 5 255 8}}", Outcome::kOk, "10 010 101 0xff 0o10"},
    {false, "{{printf \"%*d|%-*d|%.*f\" 5 1 5 1 2 3.14159}}", Outcome::kOk, "    1|1    |3.14"},
    {false, "{{printf \"%g %g %g %g %g %g\" 1e6 123456.0 1e21 1e-5 0.0001 100.0}}", Outcome::kOk, "1e+06 123456 1e+21 1e-05 0.0001 100"},
    {false, "{{printf \"%.3g %.10g %.0f %.1f %e %E\" 1234.5678 1.0 2.5 0.05 0.0 1e100}}", Outcome::kOk, "1.23e+03 1 2 0.1 0.000000e+00 1.000000E+100"},
    {false, "{{printf \"%f %e %g %v\" .Inf .Inf .NaN .NaN}}", Outcome::kOk, "+Inf +Inf NaN NaN"},
    {false, "{{printf \"%5.1f|%-7v|%07.2f\" .Inf .NaN -1.5}}", Outcome::kOk, " +Inf|NaN    |-001.50"},
    {false, "{{printf \"%v %d %s\" .Temp .Temp .Temp}}", Outcome::kOk, "21.2°C %!d(main.Temp=21.25) 21.2°C"},
    {false, "{{printf \"%v %+v\" .S .S}}", Outcome::kOk, "{n 3} {Name:n Count:3}"},
    {false, "{{printf \"%s\" .Strs}}", Outcome::kOk, "[a b]"},
    {false, "{{printf \"%d\" .List}}", Outcome::kOk, "[1 2 3]"},
    {false, "{{printf \"%.2f\" .List}}", Outcome::kOk, "[%!f(int=01) %!f(int=02) %!f(int=03)]"},
    {false, "{{printf \"%v\" .Map}}", Outcome::kOk, "map[a:x b:2]"},
    {false, "{{0x10}} {{1e3}} {{'a'}} {{1_000}} {{017}} {{0o17}} {{0b101}} {{-5}} {{+3}} {{1.5e-3}} {{.5}}", Outcome::kOk, "16 1000 97 1000 15 15 5 -5 3 0.0015 0.5"},
    {false, "{{1.0}}", Outcome::kOk, "1"},
    {false, "{{123456789012}}", Outcome::kOk, "123456789012"},
    {false, "{{99999999999999999999}}", Outcome::kParseError, "template: t:1: integer overflow: \"99999999999999999999\""},
    {false, "{{0x1p-2}}", Outcome::kOk, "0.25"},
    {false, "{{3i}}", Outcome::kOk, "(0+3i)"},
    {false, "{{\"\\u00e9\\x41\\101\\t\"}}", Outcome::kOk, "éAA\t"},
    {false, "{{`raw\n`}}", Outcome::kOk, "raw\n"},
    {false, "{{'\\t'}} {{'\\x41'}} {{'é'}}", Outcome::kOk, "9 65 233"},
    {false, "{{true}} {{false}} {{nil}}", Outcome::kExecError, "nil is not a command"},
    {false, "{{.Alerts.Firing}}", Outcome::kOk, "[first]"},
    {false, "{{.Alerts.Pick 1}}", Outcome::kOk, "second"},
    {false, "{{index .Alerts.Firing 0}}", Outcome::kOk, "first"},
    {false, "{{.S.Name}} {{.S.Count}}", Outcome::kOk, "n 3"},
    {false, "{{.S.Nope}}", Outcome::kExecError, "can't evaluate field Nope in type interface {}"},
    {false, "{{.Str.Foo}}", Outcome::kExecError, "can't evaluate field Foo in type interface {}"},
    {false, "{{.Int.Foo}}", Outcome::kExecError, "can't evaluate field Foo in type interface {}"},
    {false, "{{.Labels.job.x}}", Outcome::kExecError, "can't evaluate field x in type string"},
    {false, "{{.S.Name 1}}", Outcome::kExecError, "Name has arguments but cannot be invoked as function"},
    {false, "{{.Map.a 1}}", Outcome::kExecError, "a is not a method but has arguments"},
    {false, "{{.Temp}}", Outcome::kOk, "21.2°C"},
    {false, "{{(.S).Name}}", Outcome::kOk, "n"},
    {false, "{{(\"x\" | printf \"%s\").Foo}}", Outcome::kExecError, "can't evaluate field Foo in type string"},
    {false, "{{.Str 1}}", Outcome::kExecError, "Str is not a method but has arguments"},
    {false, "{{$x := .S}}{{$x.Name}}", Outcome::kOk, "n"},
    {false, "{{$.S.Count}}", Outcome::kOk, "3"},
    {false, "{{nil}}", Outcome::kExecError, "nil is not a command"},
    {false, "{{nil.Foo}}", Outcome::kParseError, "template: t:1: unexpected . after term \"nil\""},
    {false, "{{.Value}} {{.Small}} {{.Inf}} {{.NaN}} {{.Float}} {{.Int}}", Outcome::kOk, "1.234567e+06 1e-05 +Inf NaN 2.5 42"},
    {false, "{{1 | .Str}}", Outcome::kExecError, "Str is not a method but has arguments"},
    {false, "{{\"a\" | 1}}", Outcome::kParseError, "template: t:1: non executable command in pipeline stage 2"},
    {false, "{{if}}x{{end}}", Outcome::kParseError, "template: t:1: missing value for if"},
    {false, "{{range}}x{{end}}", Outcome::kParseError, "template: t:1: missing value for range"},
    {false, "{{end}}", Outcome::kParseError, "template: t:1: unexpected {{end}}"},
    {false, "{{else}}", Outcome::kParseError, "template: t:1: unexpected {{else}}"},
    {false, "{{if 1}}x", Outcome::kParseError, "template: t:1: unexpected EOF"},
    {false, "{{if 1}}x{{else}}y{{else}}z{{end}}", Outcome::kParseError, "template: t:1: expected end; found {{else}}"},
    {false, "{{.Str", Outcome::kParseError, "template: t:1: unclosed action"},
    {false, "{{nope}}", Outcome::kParseError, "template: t:1: function \"nope\" not defined"},
    {false, "{{$undefined}}", Outcome::kParseError, "template: t:1: undefined variable \"$undefined\""},
    {false, "{{break}}", Outcome::kParseError, "template: t:1: {{break}} outside {{range}}"},
    {false, "{{range .List}}{{break 1}}{{end}}", Outcome::kParseError, "template: t:1: unexpected \"1\" in {{break}}"},
    {false, "{{\"a\" . }}", Outcome::kExecError, "can't give argument to non-function \"a\""},
    {false, "{{1.2.3}}", Outcome::kParseError, "template: t:1: unexpected \".3\" in operand"},
    {false, "{{3x}}", Outcome::kParseError, "template: t:1: bad number syntax: \"3x\""},
    {false, "{{\"unterminated}}", Outcome::kParseError, "template: t:1: unterminated quoted string"},
    {false, "{{`unterminated}}", Outcome::kParseError, "template: t:1: unterminated raw quoted string"},
    {false, "{{'ab'}}", Outcome::kParseError, "template: t:1: malformed character constant: 'ab'"},
    {false, "{{'}}", Outcome::kParseError, "template: t:1: unterminated character constant"},
    {false, "{{/* unclosed comment}}", Outcome::kParseError, "template: t:1: unclosed comment"},
    {false, "{{/* comment */ x}}", Outcome::kParseError, "template: t:1: comment ends before closing delimiter"},
    {false, "{{(}}", Outcome::kParseError, "template: t:1: unclosed left paren"},
    {false, "{{)}}", Outcome::kParseError, "template: t:1: unexpected right paren"},
    {false, "{{()}}", Outcome::kParseError, "template: t:1: missing value for parenthesized pipeline"},
    {false, "{{.Str | }}", Outcome::kOk, "hello"},
    {false, "{{| .Str}}", Outcome::kParseError, "template: t:1: unexpected \"|\" in command"},
    {false, "{{$x := }}", Outcome::kParseError, "template: t:1: missing value for command"},
    {false, "{{$x, $y := 1}}", Outcome::kParseError, "template: t:1: too many declarations in command"},
    {false, "{{range $a, $b, $c := .List}}{{end}}", Outcome::kParseError, "template: t:1: too many declarations in range"},
    {false, "{{with $x, $y := 1}}{{end}}", Outcome::kParseError, "template: t:1: too many declarations in with"},
    {false, "{{define \"a\"}}x{{end}}{{define \"a\"}}y{{end}}", Outcome::kParseError, "template: t:1: template: multiple definition of template \"a\""},
    {false, "{{define \"a\"}}{{end}}{{define \"a\"}}y{{end}}{{template \"a\"}}", Outcome::kOk, "y"},
    {false, "{{define 1}}{{end}}", Outcome::kParseError, "template: t:1: unexpected \"1\" in define clause"},
    {false, "{{template 1}}", Outcome::kParseError, "template: t:1: unexpected \"1\" in template clause"},
    {false, "{{\"x\".Foo}}", Outcome::kParseError, "template: t:1: unexpected . after term \"\\\"x\\\"\""},
    {false, "{{. | printf \"%v\"}}", Outcome::kOk, "map[Alerts:[first second] Empty:[] Float:2.5 Inf:+Inf Int:42 Labels:map[instance:h1:9100 job:api quote:a\"b] List:[1 2 3] Map:map[a:x b:2] NaN:NaN Nil:<nil> S:{n 3} Small:1e-05 Str:hello Strs:[a b] Temp:21.2°C True:true Value:1.234567e+06 Zero:0]"},
    {false, "{{printf \"%v\" | .Str}}", Outcome::kExecError, "Str is not a method but has arguments"},
    {false, "{{@}}", Outcome::kParseError, "template: t:1: unexpected \"@\" in command"},
    {false, "{{printf \"%s\" \"a\" | printf \"%s-%s\" \"b\"}}", Outcome::kOk, "b-a"},
    {false, "{{$x := 1}}{{$x := 2}}{{$x}}", Outcome::kOk, "2"},
    {false, "{{- 3}}", Outcome::kOk, "3"},
    {false, "{{-3}}", Outcome::kOk, "-3"},
    {false, "{{3 -}}", Outcome::kOk, "3"},
    {false, "{{3-}}", Outcome::kParseError, "template: t:1: bad number syntax: \"3-\""},
    {false, "a {{- 3 -}} b", Outcome::kOk, "a3b"},
    {false, "{{if .True -}}  \n  x  \n  {{- end}}", Outcome::kOk, "x"},
    {false, "{{.Labels.quote}}", Outcome::kOk, "a\"b"},
    {false, "{{printf \"%q\" .Labels.quote}}", Outcome::kOk, "\"a\\\"b\""},
    {false, "{{printf \"%s %s\"  \"a\"    \"b\"}}", Outcome::kOk, "a b"},
    {false, "{{ printf \"%v\" ( 1 ) }}", Outcome::kOk, "1"},
    {false, "{{printf \"%v\" (print 1 2)}}", Outcome::kOk, "1 2"},
    {false, "{{len (slice .List 1)}}", Outcome::kOk, "2"},
    {false, "{{$x := .List}}{{range $x}}{{$x}}{{end}}", Outcome::kOk, "[1 2 3][1 2 3][1 2 3]"},
    {false, "{{printf \"%v|%6.2v|%-8v|\" 1.5 3.14159 \"ab\"}}", Outcome::kOk, "1.5|   3.1|ab      |"},
    {false, "{{printf \"%v %v %v %v\" 0.1 100000.0 1e20 1e-7}}", Outcome::kOk, "0.1 100000 1e+20 1e-07"},
    {false, "{{printf \"%.0e %.1g %#g %#.3g\" 12345.0 0.05 1.0 2.0}}", Outcome::kOk, "1e+04 0.05 1.00000 2.00"},
    {false, "{{printf \"%x %X\" -255 3000000000}}", Outcome::kOk, "-ff B2D05E00"},
    {false, "{{printf \"%08d|%-08d|%+08d|% 08d\" -42 42 42 42}}", Outcome::kOk, "-0000042|42      |+0000042| 0000042"},
    {false, "{{printf \"%5t|%-6t|\" true false}}", Outcome::kOk, " true|false |"},
    {false, "{{printf \"%3c|%-3c|\" 65 66}}", Outcome::kOk, "  A|B  |"},
    {false, "{{printf \"%!\"}}", Outcome::kOk, "%!!(MISSING)"},
    {false, "{{printf \"%\"}}", Outcome::kOk, "%!(NOVERB)"},
    {false, "{{printf \"%.d\" 0}}", Outcome::kOk, ""},
    {false, "{{printf \"%.3d %.3x\" 7 255}}", Outcome::kOk, "007 0ff"},
    {false, "{{printf \"%s\" .Nil}}", Outcome::kOk, "%!s(<nil>)"},
    {false, "{{printf \"%d\" .Nil}}", Outcome::kOk, "%!d(<nil>)"},
    {false, "{{printf 5}}", Outcome::kExecError, "expected string; found 5"},
    {false, "{{printf}}", Outcome::kExecError, "wrong number of args for printf: want at least 1 got 0"},
    {false, "{{index .Labels 1}}", Outcome::kExecError, "error calling index: value has type int; should be string"},
    {false, "{{index .List -1}}", Outcome::kExecError, "error calling index: index out of range: -1"},
    {false, "{{slice .List 1 2 3}}", Outcome::kOk, "[2]"},
    {false, "{{slice .Str 1 2 3}}", Outcome::kExecError, "error calling slice: cannot 3-index slice a string"},
    {false, "{{slice .List 4}}", Outcome::kExecError, "error calling slice: index out of range: 4"},
    {false, "{{len .Labels}}", Outcome::kOk, "3"},
    {false, "{{not}}", Outcome::kExecError, "wrong number of args for not: want 1 got 0"},
    {false, "{{not 1 2}}", Outcome::kExecError, "wrong number of args for not: want 1 got 2"},
    {false, "{{and}}", Outcome::kExecError, "wrong number of args for and: want at least 1 got 0"},
    {false, "{{eq 1}}", Outcome::kExecError, "error calling eq: missing argument for comparison"},
    {false, "{{ne 1 \"a\"}}", Outcome::kExecError, "error calling ne: incompatible types for comparison: int and string"},
    {false, "{{ge 2.5 2.5}} {{le \"b\" \"a\"}}", Outcome::kOk, "true false"},
    {false, "{{range $i, $e := 3}}{{end}}", Outcome::kExecError, "can't use 3 to iterate over more than one variable"},
    {false, "{{range -2}}x{{else}}none{{end}}", Outcome::kOk, "none"},
    {false, "{{with .Nil}}x{{else}}y{{end}}", Outcome::kOk, "y"},
    {false, "{{if .Labels.missing}}x{{else}}y{{end}}", Outcome::kOk, "y"},
    {false, "{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", Outcome::kOk, "instance=h1:9100;job=api;quote=a\"b;"},
    {false, "{{define \"T1\"}}ONE{{end}}{{define \"T2\"}}TWO {{template \"T1\"}}{{end}}{{template \"T2\"}}", Outcome::kOk, "TWO ONE"},
    {false, "{{define \"list\"}}{{range .}}({{.}}){{end}}{{end}}{{template \"list\" .List}}", Outcome::kOk, "(1)(2)(3)"},
    {false, "{{template \"x\" .}}{{define \"x\"}}{{.Str}}{{end}}", Outcome::kOk, "hello"},
    {false, "{{$x := 5}}{{define \"y\"}}{{$}}{{end}}{{template \"y\" $x}}", Outcome::kOk, "5"},
    {false, "{{.Alerts.Firing | len}}", Outcome::kOk, "1"},
    {false, "{{.Alerts.Pick}}", Outcome::kExecError, "wrong number of args for Pick: want 1 got 0"},
    {false, "{{.Alerts.Pick \"a\"}}", Outcome::kExecError, "expected integer; found \"a\""},
    {false, "{{range .Alerts.Firing}}{{.}}{{end}}", Outcome::kOk, "first"},
    {false, "{{(index .Alerts 1) | printf \"%q\"}}", Outcome::kOk, "\"second\""},
    {false, "{{\"a\" | printf \"%s%s\" \"b\" | printf \"%s.\"}}", Outcome::kOk, "ba."},
    {false, "text {{/* multi\nline */}} more", Outcome::kOk, "text  more"},
    {false, "{{- /* trimmed */ -}}   x", Outcome::kOk, "x"},
    {false, "{{.Str}}\n{{- .Str}}", Outcome::kOk, "hellohello"},
    {false, "{{if true}}\n  a\n{{- end}}", Outcome::kOk, "\n  a"},
    {false, "{{ .Str }}{{ \"  \" }}{{ .Str }}", Outcome::kOk, "hello  hello"},
    {false, "{{$x := \"a\"}}{{$x = 1}}{{$x}}", Outcome::kOk, "1"},
    {false, "{{range $i, $_ := .Strs}}{{$i}}{{end}}", Outcome::kOk, "01"},
    {false, "{{/**/}}", Outcome::kOk, ""},
    {false, "{{print 1.0 2 3.5}}", Outcome::kOk, "1 2 3.5"},
    {false, "{{print \"a\" 1 2 \"b\"}}", Outcome::kOk, "a1 2b"},
    {false, "{{print .Nil .Nil}}", Outcome::kOk, "<nil> <nil>"},
    {false, "{{println}}", Outcome::kOk, "\n"},
    {false, "{{printf \"%v\" .Alerts}}", Outcome::kOk, "[first second]"},
    {false, "{{.Labels}}", Outcome::kOk, "map[instance:h1:9100 job:api quote:a\"b]"},
    {false, "{{print .Temp .Temp}}", Outcome::kOk, "21.2°C 21.2°C"},
    {false, "{{printf \"%s|%10s|%-10s|\" .Temp .Temp .Temp}}", Outcome::kOk, "21.2°C|    21.2°C|21.2°C    |"},
};

struct Deviation {
  const char* text;
  Outcome outcome;
  const char* want;
  const char* why;
};

const Deviation kDeviations[] = {
    {"{{.Nil.Foo}}", Outcome::kOk, "<no value>",
     "a nil value in the data is not told apart from a missing one: both yield no value"},
    {"{{and .Nil.Foo 1}}", Outcome::kOk, "<no value>", "as above"},
    {"{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}", Outcome::kExecError,
     "exceeded maximum template depth (100)", "ExecOptions::max_depth is 100, Go's limit 100,000"},
    {"{{3i}}", Outcome::kParseError, "template: t:1: complex constants are not supported: 3i",
     "no complex numbers"},
    {"{{.S.Nope}}", Outcome::kExecError, "can't evaluate field Nope in type main.S",
     "messages name the value's own type; Go names the static type of the map's elements"},
    {"{{.Str.Foo}}", Outcome::kExecError, "can't evaluate field Foo in type string", "as above"},
    {"{{.Int.Foo}}", Outcome::kExecError, "can't evaluate field Foo in type int", "as above"},
};

const Deviation* FindDeviation(const std::string& text) {
  for (const Deviation& d : kDeviations) {
    if (text == d.text) return &d;
  }
  return nullptr;
}

// The message after the last "at <...>: " of an execution error.
std::string ExecMessage(const std::string& error) {
  const size_t at = error.find(">: ");
  return at == std::string::npos ? error : error.substr(at + 3);
}

TEST(TemplateTest, AgreesWithGo) {
  const Value data = GoData();
  int checked = 0;
  for (const Case& c : kGoCases) {
    Outcome outcome = c.outcome;
    std::string want = c.want;
    if (const Deviation* d = FindDeviation(c.text)) {
      outcome = d->outcome;
      want = d->want;
    }
    SCOPED_TRACE(c.text);
    ++checked;
    auto t = Template::Parse("t", c.text);
    if (outcome == Outcome::kParseError) {
      EXPECT_FALSE(t.ok());
      if (!t.ok()) EXPECT_EQ(t.status().message(), want);
      continue;
    }
    if (!t.ok()) {
      ADD_FAILURE() << t.status().ToString();
      continue;
    }
    ExecOptions options;
    options.missing_key = c.missing_key_zero ? MissingKey::kZero : MissingKey::kDefault;
    auto out = t->Execute(data, options);
    if (outcome == Outcome::kExecError) {
      if (out.ok()) {
        ADD_FAILURE() << "no error but " << *out;
        continue;
      }
      EXPECT_EQ(ExecMessage(out.status().message()), want) << out.status().message();
    } else if (!out.ok()) {
      ADD_FAILURE() << out.status().ToString();
    } else {
      EXPECT_EQ(*out, want);
    }
  }
  EXPECT_EQ(checked, static_cast<int>(std::size(kGoCases)));
}

TEST(TemplateTest, ExecutionErrorsNameTheTemplateAndLine) {
  auto t = Template::Parse("alert", "line one\n{{ index .List 7 }}");
  ASSERT_TRUE(t.ok());
  auto out = t->Execute(GoData());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "template: alert:2: executing \"alert\" at <index .List 7>: error calling index: index out of range: 7");
}

TEST(TemplateTest, LimitsStopRunawayTemplates) {
  ExecOptions options;
  options.max_steps = 10'000;
  auto loop = Template::Parse("t", "{{range 100000000}}x{{end}}");
  ASSERT_TRUE(loop.ok());
  auto out = loop->Execute(Value(), options);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("exceeded 10000 steps"), std::string::npos) << out.status().message();

  options = ExecOptions{};
  options.max_output_bytes = 1000;
  auto big = Template::Parse("t", "{{range 2000}}x{{end}}");
  ASSERT_TRUE(big.ok());
  out = big->Execute(Value(), options);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("output exceeds 1000 bytes"), std::string::npos);

  options = ExecOptions{};
  options.max_value_bytes = 1 << 20;
  auto growing = Template::Parse("t", "{{ $x := \"ab\" }}{{ range 40 }}{{ $x = print $x $x }}{{ end }}{{ len $x }}");
  ASSERT_TRUE(growing.ok());
  out = growing->Execute(Value(), options);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("template values exceed 1048576 bytes"), std::string::npos);
  auto wide = Template::Parse("t", "{{ range 100000 }}{{ $x := printf \"%999999d\" 1 }}{{ end }}");
  ASSERT_TRUE(wide.ok());
  out = wide->Execute(Value(), options);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("template values exceed"), std::string::npos);

  // Widths and precisions up to Go's million cost linear time (the fuzzer
  // found zero padding that was quadratic).
  auto padded = Template::Parse("t", "{{ printf \"%.999999d|%0999999d\" 7 8 }}");
  ASSERT_TRUE(padded.ok());
  options = ExecOptions{};
  options.max_output_bytes = 4 << 20;
  out = padded->Execute(Value(), options);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->size(), 999'999u * 2 + 1);
  EXPECT_EQ(out->substr(999'990, 12), "000000007|00");

  auto recursive = Template::Parse("t", "{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}");
  ASSERT_TRUE(recursive.ok());
  out = recursive->Execute(Value());
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("exceeded maximum template depth (100)"), std::string::npos);

  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += "(";
  deep = "{{" + deep + "1";
  for (int i = 0; i < 1000; ++i) deep += ")";
  deep += "}}";
  auto nested = Template::Parse("t", deep);
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.status().message().find("max expression depth exceeded"), std::string::npos);
}

TEST(TemplateTest, FunctionsConvertConstantsToTheirParameterTypes) {
  auto funcs = std::make_shared<FunctionMap>();
  (*funcs)["half"] = Function{{Param::kFloat}, false, Param::kAny, [](std::span<const Value> a) -> Result<Value> {
                                return Value::Float(a[0].AsFloat() / 2);
                              }};
  (*funcs)["fail"] = Function{{}, false, Param::kAny, [](std::span<const Value>) -> Result<Value> {
                                return Status::InvalidArgument("it failed");
                              }};
  auto t = Template::Parse("t", "{{half 3}} {{half 1.5}} {{half .Float}}", funcs);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto out = t->Execute(GoData());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "1.5 0.75 1.25");
  // A value of another type is not converted, as in Go.
  t = Template::Parse("t", "{{half .Int}}", funcs);
  ASSERT_TRUE(t.ok());
  out = t->Execute(GoData());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ExecMessage(out.status().message()), "wrong type for value; expected float64; got int");
  t = Template::Parse("t", "{{fail}}", funcs);
  ASSERT_TRUE(t.ok());
  out = t->Execute(GoData());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ExecMessage(out.status().message()), "error calling fail: it failed");
  // Unknown functions are found when parsing.
  EXPECT_EQ(Template::Parse("t", "{{humanize 1}}", funcs).status().message(),
            "template: t:1: function \"humanize\" not defined");
}

TEST(TemplateTest, AddTextDefinesMoreTemplatesAndFailsWithoutChange) {
  auto t = Template::Parse("main", "{{template \"part\" .}}");
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->AddText("lib", "{{define \"part\"}}<{{.}}>{{end}}").ok());
  EXPECT_EQ(*t->Execute(Value::String("x")), "<x>");
  EXPECT_FALSE(t->AddText("bad", "{{define \"part\"}}other{{end}}{{if}}").ok());
  EXPECT_EQ(*t->Execute(Value::String("x")), "<x>");
  auto only = t->ExecuteTemplate("part", Value::Int(3));
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(*only, "<3>");
  EXPECT_FALSE(t->ExecuteTemplate("nope", Value()).ok());
}

TEST(FormatTest, FloatsAsGoWritesThem) {
  struct {
    double v;
    char fmt;
    int prec;
    const char* want;
  } cases[] = {
      {1e6, 'g', -1, "1e+06"},        {123456, 'g', -1, "123456"},     {0.0001, 'g', -1, "0.0001"},
      {0.00001, 'g', -1, "1e-05"},    {1234567, 'g', -1, "1.234567e+06"}, {0.1, 'g', -1, "0.1"},
      {-2.5, 'g', -1, "-2.5"},        {0, 'g', -1, "0"},               {-0.0, 'g', -1, "-0"},
      {1e21, 'f', -1, "1000000000000000000000"}, {1.5, 'e', -1, "1.5e+00"}, {3.14159, 'f', 2, "3.14"},
      {2.5, 'f', 0, "2"},             {1234.5678, 'g', 3, "1.23e+03"}, {5e-324, 'g', -1, "5e-324"},
      {1.7976931348623157e308, 'g', -1, "1.7976931348623157e+308"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatFloat(c.v, c.fmt, c.prec), c.want) << c.v << " " << c.fmt << " " << c.prec;
  }
}

}  // namespace
}  // namespace mytsdb::tmpl
