package vtl

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/testenv"
)

// specCase is one behaviour of API Gateway's mapping templates, from the
// spec (../shared/spec/integrations-tracing.md part A) and the source it
// names there.
type specCase struct {
	name, source string
	body         string // $input's body
	tmpl         string
	want         string
}

func specVars(body string) map[string]any {
	q := NewMap()
	q.Set("name", "Ada Lovelace")
	h := NewMap()
	h.Set("Content-Type", "application/json")
	h.Set("X-Trace", "t-1")
	path := NewMap()
	path.Set("id", "42")
	ctx := NewMap()
	ctx.Set("requestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
	ctx.Set("stage", "dev")
	ro := NewMap()
	ro.Set("header", NewMap())
	ctx.Set("responseOverride", ro)
	sv := NewMap()
	sv.Set("backend", "localhost:8080")
	return map[string]any{
		"input":          NewInput([]byte(body), path, q, h),
		"util":           Util{},
		"context":        ctx,
		"stageVariables": sv,
	}
}

var specCases = []specCase{
	{name: "null renders empty", source: "capture: test_input_path_template_formatting",
		body: `{"nested": {"key": null}}`,
		tmpl: `#set($missing = $input.path('$.nothing'))#set($n = $input.path('$.nested.key'))` +
			`{"body": $missing, "nested": $n, "isNull": "#if($n == "")true#{else}false#end", "isEmptyString": "#if($missing == "")true#{else}false#end"}`,
		want: `{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}`},
	{name: "body is raw", source: "capture: test_input_body_formatting",
		body: `{"a": 1,  "b" : [1,2]}`, tmpl: `$input.body`, want: `{"a": 1,  "b" : [1,2]}`},
	{name: "empty body is {}", source: "capture: test_input_body_formatting",
		body: ``, tmpl: `$input.body|$input.json('$')`, want: `{}|{}`},
	{name: "a property of the body string is empty", source: "capture: test_input_body_formatting",
		body: `{"x": 1}`, tmpl: `[$input.body.x]`, want: `[]`},
	{name: "path map renders Java-style", source: "capture: test_input_path_template_formatting",
		body: `{"foo": "bar"}`, tmpl: `$input.path('$')`, want: `{foo=bar}`},
	{name: "path map keeps insertion order", source: "capture: test_input_path_template_formatting",
		body: `{"bigger": "dict", "to": "test", "with": "separators"}`, tmpl: `$input.path('$')`,
		want: `{bigger=dict, to=test, with=separators}`},
	{name: "path list renders as JSON", source: "capture: test_input_path_template_formatting",
		body: `[{"foo": "bar"}]`, tmpl: `$input.path('$')|$input.path('$')[0]|$input.path('$').toString()|$input.path('$').size()`,
		want: `[{"foo":"bar"}]|{foo=bar}|[{"foo":"bar"}]|1`},
	{name: "a JSON list inside a map", source: "capture: test_input_path_template_formatting",
		body: `{"foo": [{"nested": "bar"}]}`, tmpl: `$input.path('$')`, want: `{foo=[{"nested":"bar"}]}`},
	{name: "json() is JSON text", source: "doc: api-gateway-mapping-template-reference ($input.json)",
		body: `{"a": {"b": [1, 2.5, "x", true, null]}}`, tmpl: `$input.json('$.a')|$input.json('$.a.b[2]')|$input.path('$.a.b[1]')|$input.json('$.missing')`,
		want: `{"b":[1,2.5,"x",true,null]}|"x"|2.5|`},
	{name: "path count and size", source: "doc: api-gateway-mapping-template-reference ($input.path)",
		body: `{"items": [1, 2, 3]}`, tmpl: `$input.path('$.items').size() $input.path('$.items[*]').size() $input.path("$['items'][0]")`,
		want: `3 3 1`},
	{name: "params by name: path, query, header", source: "doc: api-gateway-mapping-template-reference ($input.params)",
		body: ``, tmpl: `$input.params('id') $input.params('name') $input.params('X-Trace') $input.params('x-trace') [$input.params('none')]`,
		want: `42 Ada Lovelace t-1 t-1 []`},
	{name: "params map", source: "doc: api-gateway-mapping-template-reference ($input.params())",
		body: ``, tmpl: `#foreach($type in $input.params().keySet())$type=#foreach($k in $input.params().get($type).keySet())$k#if($foreach.hasNext),#end#end;#end`,
		want: `path=id;querystring=name;header=Content-Type,X-Trace;`},
	{name: "escapeJavaScript escapes '", source: "doc: api-gateway-mapping-template-reference ($util.escapeJavaScript)",
		body: ``, tmpl: `$util.escapeJavaScript("it's")`, want: `it\'s`},
	{name: "undo escapeJavaScript's quote", source: "obs: Serverless Framework template, SAM#1895",
		body: `{"q": "it's"}`, tmpl: `$util.escapeJavaScript($input.path('$.q')).replaceAll("\\'","'")`, want: `it's`},
	{name: "urlEncode is form encoding", source: "capture: test_util_methods (urlEncode)",
		body: ``, tmpl: `$util.urlEncode('{"some": "value"}') $util.urlEncode("some raw data")`,
		want: `%7B%22some%22%3A+%22value%22%7D some+raw+data`},
	{name: "parseJson", source: "doc: api-gateway-mapping-template-reference ($util.parseJson)",
		body: `{"s": "{\"key2\": {\"arr\": [\"first\", 2]}}"}`, tmpl: `#set($o = $util.parseJson($input.path('$.s')))$o.key2.arr[0] $o.key2.arr.size()`,
		want: `first 2`},
	{name: "map assignment", source: "capture: test_integration_mock_with_vtl_map_assignation",
		body: ``, tmpl: `#set($m = {})#set($k = "a")#set($m[$k] = "v1")#set($dummy = $m.put("b", "v2"))$m $m.a`,
		want: `{a=v1, b=v2} v1`},
	{name: "put renders nothing", source: "capture: test_integration_mock_with_vtl_map_assignation",
		body: ``, tmpl: `#set($m = {})[$m.put("b", "v2")]$m`, want: `[]{b=v2}`},
	{name: "responseOverride", source: "capture: test_lambda_aws_integration_response_with_mapping_templates",
		body: `{}`, tmpl: "#set($context.responseOverride.status = 400)\n#set($context.responseOverride.header.X-Custom = \"v\")\ndone",
		want: `done`},
	{name: "stage variables", source: "doc: api-gateway-mapping-template-reference ($stageVariables)",
		body: ``, tmpl: `$stageVariables.backend ${stageVariables.backend} $stageVariables['backend'] ${stageVariables['backend']}`,
		want: `localhost:8080 localhost:8080 localhost:8080 localhost:8080`},
	{name: "context", source: "doc: api-gateway-mapping-template-reference ($context)",
		body: ``, tmpl: `{"request-id": "$context.requestId", "stage": "$context.stage"}`,
		want: `{"request-id": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "stage": "dev"}`},
	{name: "changes to path() show in json()", source: "pattern: aws-samples/serverless-patterns apigw-mappingtemplate-lambda (deployed: 400 {\"statuscode\":650,\"body\":\"changed\"})",
		body: `{"statuscode": 200, "body": "error1"}`,
		tmpl: "#set($inputRoot = $input.path('$'))\n#if($inputRoot.toString().contains(\"error\"))\n#set($context.responseOverride.status = 400)\n#set($inputRoot.statuscode = 650)\n#set($inputRoot.body = \"changed\")\n#end\n$input.json(\"$\")",
		want: `{"statuscode":650,"body":"changed"}`},
	{name: "foreach over a JSON list", source: "doc: api-gateway-mapping-template-reference (#foreach, $foreach.hasNext)",
		body: `{"items": [{"id": 1}, {"id": 2}]}`,
		tmpl: "[\n#foreach($it in $input.path('$.items'))\n  {\"id\": $it.id}#if($foreach.hasNext),#end\n\n#end\n]",
		want: "[\n  {\"id\": 1},\n  {\"id\": 2}\n]"},
	{name: "quiet references", source: "doc: Velocity user guide (quiet reference notation)",
		body: ``, tmpl: `[$!nothing][${nothing}][$!{nothing.more}]`, want: `[][][]`},
}

func TestSpecCases(t *testing.T) {
	for _, c := range specCases {
		t.Run(c.name, func(t *testing.T) {
			vars := specVars(c.body)
			got, err := render(c.tmpl, vars)
			if err != nil {
				t.Fatalf("%s: %v", c.source, err)
			}
			if got != c.want {
				t.Errorf("%s:\n got %q\nwant %q", c.source, got, c.want)
			}
		})
	}
}

func TestResponseOverrideIsSet(t *testing.T) {
	vars := specVars("{}")
	if _, err := render("#set($context.responseOverride.status = 400)#set($context.responseOverride.header.X-Custom = \"v\")", vars); err != nil {
		t.Fatal(err)
	}
	ro, _ := vars["context"].(*Map).Get("responseOverride")
	status, _ := ro.(*Map).Get("status")
	h, _ := ro.(*Map).Get("header")
	custom, _ := h.(*Map).Get("X-Custom")
	if status != int64(400) || custom != "v" {
		t.Errorf("responseOverride = %v, header %v; want status 400, X-Custom v", status, custom)
	}
}

// TestErrors pins what a broken template says: where, and what failed.
// Regenerate with -update after a deliberate change.
func TestErrors(t *testing.T) {
	cases := []string{
		"#if($x)\nno end",
		"#foreach($i $list)#end",
		"line one\n  #set($x = )",
		"#end",
		"$input.path('$..deep')",
		"#set($x = $input.path('$.a'))\n$x.b.c $input.json('$[x]')",
		"${unclosed",
		"#macro(m)x#end",
		"#set($l = [1])$l.get(3)",
		"$\"x\".substring(5)",
		"#set($s = \"abc\")\n\n   $s.substring(2, 1)",
		"#set($s = \"a\")#foreach($i in [1..30])#set($s = \"$s$s\")#end",
		"#foreach($i in [1..1000])#foreach($j in [1..1000])#foreach($k in [1..1000])x#end#end#end",
		"#define($d)$d#end$d",
		"#set($x = 'unterminated)",
		"$util.parseJson('{nope')",
		"$input.path('$.a')",
		"'#set($s = \"\"\"\")$s.replaceAll(\"(?<=a)b\", \"c\")",
	}
	var out strings.Builder
	for _, c := range cases {
		vars := specVars(`{"a": {"b": 1}}`)
		if strings.Contains(c, "$input.path('$.a')") && !strings.Contains(c, "#set") {
			vars["input"] = NewInput([]byte("not json"), nil, nil, nil)
		}
		_, err := render(c, vars)
		out.WriteString(c + "\n=> ")
		var e *Error
		switch {
		case err == nil:
			out.WriteString("no error")
		case !errors.As(err, &e):
			t.Errorf("%q: error %v is not an *Error", c, err)
		default:
			out.WriteString(err.Error())
		}
		out.WriteString("\n\n")
	}
	testenv.Golden(t, "testdata/errors.golden", []byte(out.String()))
}
