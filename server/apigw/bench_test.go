package apigw

import (
	"testing"

	"github.com/gatescope/gatescope/server/config"
)

func benchAPIs() []*config.API {
	h := httpAPI("HttpApi",
		route("GET /"), route("GET /items"), route("POST /items"), route("GET /items/{id}"),
		route("PUT /items/{id}"), route("DELETE /items/{id}"), route("GET /users/{id}/orders/{order}"),
		route("ANY /files/{proxy+}"), route("$default"))
	r := restAPI("RestApi", route("GET /health"), route("ANY /{proxy+}"))
	return []*config.API{h, r}
}

func benchRequest() *Request {
	return newRequest("POST", "/items/42?expand=owner&page=2&page=3", `{"name":"widget","price":9.5}`,
		"Content-Type: application/json", "Accept: */*", "User-Agent: Mozilla/5.0 (X11; Linux x86_64)",
		"Accept-Encoding: gzip, deflate, br", "Cookie: session=abc; theme=dark", "Authorization: Bearer eyJhbGciOi")
}

func BenchmarkMatch(b *testing.B) {
	r := mustRouter(b, benchAPIs()...)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := r.Match("GET", "/users/7/orders/99"); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkBuildEventV2(b *testing.B) {
	r := mustRouter(b, benchAPIs()...)
	req := benchRequest()
	req.Method = "PUT"
	m := mustMatch(b, r, req)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildEvent(m, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildEventV1(b *testing.B) {
	r := mustRouter(b, benchAPIs()...)
	req := benchRequest()
	req.RawPath = "/Prod/items/42"
	m := mustMatch(b, r, req)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildEvent(m, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMapResponse(b *testing.B) {
	r := mustRouter(b, benchAPIs()...)
	req := benchRequest()
	req.Method = "PUT"
	m := mustMatch(b, r, req)
	inv := ok(`{"statusCode":200,"headers":{"Content-Type":"application/json","Cache-Control":"no-store"},"cookies":["a=1; Path=/"],"body":"{\"id\":42,\"name\":\"widget\"}"}`)
	b.ReportAllocs()
	for b.Loop() {
		if resp := MapResponse(m, req, inv); resp.Status != 200 {
			b.Fatal(resp.Explanation)
		}
	}
}
