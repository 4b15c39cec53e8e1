package web

import "net/http"

// StaticHandler serves Static (mount it under /static/ with the prefix
// stripped). Pages ask for assets with the content version in the query
// (?v=AssetVersion), so those answers may be cached for good.
func StaticHandler() http.Handler {
	files := http.FileServerFS(Static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}
