package vtl

import "testing"

// typicalRequest is a request template as API Gateway users write them:
// a few fields from the body, the query string, a header and the context,
// and a list of items rebuilt with #foreach.
const typicalRequest = `#set($body = $input.path('$'))
{
  "operation": "$input.params('op')",
  "requestId": "$context.requestId",
  "stage": "$context.stage",
  "trace": "$util.escapeJavaScript($input.params('X-Trace'))",
  "customer": $input.json('$.customer'),
  "items": [
#foreach($it in $body.items)
    {"sku": "$it.sku", "qty": $it.qty}#if($foreach.hasNext),#end

#end
  ],
  "total": $body.items.size()
}`

const typicalBody = `{"customer": {"id": "c-1", "name": "Ada"}, "items": [` +
	`{"sku": "a-1", "qty": 1}, {"sku": "b-2", "qty": 2}, {"sku": "c-3", "qty": 3}, {"sku": "d-4", "qty": 4}, {"sku": "e-5", "qty": 5}]}`

// BenchmarkRequestTemplate renders the typical request template, parsed
// once as gatescope does per route (figures in bench/README.md).
func BenchmarkRequestTemplate(b *testing.B) {
	tp, err := Parse(typicalRequest)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tp.Render(specVars(typicalBody), DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse parses it.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(typicalRequest); err != nil {
			b.Fatal(err)
		}
	}
}
