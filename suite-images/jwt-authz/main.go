// jwt-authz is a minimal JWT authorization service of the suite's own, standing in for Emissary
// (github/emissary, whose Go module the proxy here does not serve). It answers as an authorization
// service behind Envoy's HTTP ext_authz filter answers: Envoy forwards each request's headers; a
// 200 lets the request through, a 403 refuses it. A request passes when its bearer token is a
// JWT-SVID that validates against the trust bundles this pod's agent hands it (go-spiffe's
// JWTSource, kept current by the Workload API stream), for this service's audience, naming an
// allowed SPIFFE ID. Each refusal says why in its body, as Emissary logs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8124", "HTTP address (Envoy beside it calls localhost)")
	socket := flag.String("socket", "/run/spire/sockets/agent.sock", "the agent's Workload API socket")
	audience := flag.String("audience", "", "the audience a token must name")
	allow := flag.String("allow", "", "comma-separated SPIFFE IDs allowed through")
	flag.Parse()
	if *audience == "" || *allow == "" {
		log.Fatal("-audience and -allow are required")
	}
	allowed := map[string]bool{}
	for _, id := range strings.Split(*allow, ",") {
		allowed[strings.TrimSpace(id)] = true
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	source, err := workloadapi.NewJWTSource(ctx, workloadapi.WithClientOptions(workloadapi.WithAddr("unix://"+*socket)))
	if err != nil {
		log.Fatalf("JWT bundles from the Workload API at %s: %v", *socket, err)
	}
	defer source.Close()

	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		token, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !found || token == "" {
			deny(w, r, "no bearer token")
			return
		}
		svid, err := jwtsvid.ParseAndValidate(token, source, []string{*audience})
		if err != nil {
			deny(w, r, err.Error())
			return
		}
		if !allowed[svid.ID.String()] {
			deny(w, r, fmt.Sprintf("%s is not allowed", svid.ID))
			return
		}
		w.Header().Set("x-spiffe-id", svid.ID.String())
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, "allowed: %s\n", svid.ID)
		log.Printf("%s %s: allowed %s", r.Method, r.URL.Path, svid.ID)
	})
	server := &http.Server{Addr: *listen}
	go func() {
		<-ctx.Done()
		_ = server.Close()
	}()
	log.Printf("authorizing JWT-SVIDs for audience %q, allowing %s, on %s", *audience, *allow, *listen)
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Printf("serve: %v", err)
		os.Exit(1)
	}
}

func deny(w http.ResponseWriter, r *http.Request, reason string) {
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, "denied: %s\n", reason)
	log.Printf("%s %s: denied: %s", r.Method, r.URL.Path, reason)
}
