// Command cmd serves account statements over HTTP; it is deployed behind the Lambda Web Adapter
// layer, so it listens on a port instead of importing aws-lambda-go.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/statement", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"account": r.URL.Query().Get("account")})
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
}
