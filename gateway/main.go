// main.go — the REST gateway: the generated grpc-gateway handlers of booking.v1
// (search-svc and booking-svc) behind one HTTP listener. It forwards only
// Authorization, idempotency-key, x-request-id and traceparent; any identity a client
// sends as metadata (x-user-id, x-user-role, Grpc-Metadata-*) is dropped. It holds no
// authorization logic: the services verify the bearer token and decide.
//
// Settings (environment): GATEWAY_LISTEN (127.0.0.1:8080), SEARCH_ADDR
// (127.0.0.1:50051), BOOKING_ADDR (127.0.0.1:50052), and for mutual TLS to the services
// TLS_CA_FILE, TLS_CERT_FILE, TLS_KEY_FILE (re-read when they rotate), TLS_SERVER_NAME.
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io/ioutil"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	_ "google.golang.org/genproto/googleapis/rpc/errdetails" // ErrorInfo in error bodies
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	gw "booking.local/gateway/gen/bookingv1"
)

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// forwarded: the request headers that reach the services, as metadata keys.
var forwarded = map[string]string{
	"Authorization":   "authorization",
	"Idempotency-Key": "idempotency-key",
	"X-Request-Id":    "x-request-id",
	"Traceparent":     "traceparent",
}

// incoming drops every header not in forwarded. (grpc-gateway passes Authorization on
// by itself; the matcher must not add it a second time.)
func incoming(key string) (string, bool) {
	md, ok := forwarded[http.CanonicalHeaderKey(key)]
	if !ok || md == "authorization" {
		return "", false
	}
	return md, true
}

// outgoing: the services' x-request-id and traceparent (the service's span of the
// call) come back as response headers; nothing else.
func outgoing(key string) (string, bool) {
	switch strings.ToLower(key) {
	case "x-request-id":
		return "X-Request-Id", true
	case "traceparent":
		return "Traceparent", true
	}
	return "", false
}

// requestID gives a request without X-Request-Id one, so the services' logs and the
// answer's X-Request-Id name the same call.
func requestID(ctx context.Context, r *http.Request) metadata.MD {
	if r.Header.Get("X-Request-Id") != "" {
		return nil
	}
	var b [10]byte
	rand.Read(b[:])
	return metadata.Pairs("x-request-id", "gw-"+hex.EncodeToString(b[:]))
}

// httpStatus maps gRPC codes as google.rpc does (FAILED_PRECONDITION is 400, where
// grpc-gateway 1.6 says 412); the others as grpc-gateway does.
func httpStatus(c codes.Code) int {
	if c == codes.FailedPrecondition {
		return http.StatusBadRequest
	}
	return runtime.HTTPStatusFromCode(c)
}

// writeError answers a failed call with its google.rpc.Status as JSON (code, message,
// details with the ErrorInfo reason) and the call's X-Request-Id.
func writeError(ctx context.Context, _ *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, _ *http.Request, err error) {
	s, ok := status.FromError(err)
	if !ok {
		s = status.New(codes.Unknown, err.Error())
	}
	if md, ok := runtime.ServerMetadataFromContext(ctx); ok {
		if v := md.HeaderMD.Get("x-request-id"); len(v) > 0 {
			w.Header().Set("X-Request-Id", v[0])
		}
		if v := md.HeaderMD.Get("traceparent"); len(v) > 0 {
			w.Header().Set("Traceparent", v[0])
		}
	}
	buf, merr := m.Marshal(s.Proto())
	w.Header().Del("Trailer")
	w.Header().Set("Content-Type", m.ContentType())
	if merr != nil {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"code": 13, "message": "failed to marshal error message"}`)
		return
	}
	w.WriteHeader(httpStatus(s.Code()))
	w.Write(buf)
}

// certReloader serves the client certificate for mutual TLS, re-read when its files change.
type certReloader struct {
	certFile, keyFile string
	mu                sync.Mutex
	cert              *tls.Certificate
	stamp             string
}

func (c *certReloader) get(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var stamp string
	for _, f := range []string{c.certFile, c.keyFile} {
		st, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		stamp += fmt.Sprintf("%d/%d;", st.ModTime().UnixNano(), st.Size())
	}
	if c.cert == nil || stamp != c.stamp {
		cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
		if err != nil {
			if c.cert != nil {
				return c.cert, nil // mid-rotation: keep the pair in use
			}
			return nil, err
		}
		c.cert, c.stamp = &cert, stamp
	}
	return c.cert, nil
}

func dialOptions() ([]grpc.DialOption, error) {
	ca := os.Getenv("TLS_CA_FILE")
	if ca == "" {
		return []grpc.DialOption{grpc.WithInsecure()}, nil
	}
	pem, err := ioutil.ReadFile(ca)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("TLS_CA_FILE %s has no certificate", ca)
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: os.Getenv("TLS_SERVER_NAME"), MinVersion: tls.VersionTLS12}
	if cert := os.Getenv("TLS_CERT_FILE"); cert != "" {
		r := &certReloader{certFile: cert, keyFile: os.Getenv("TLS_KEY_FILE")}
		if _, err := r.get(nil); err != nil {
			return nil, err
		}
		cfg.GetClientCertificate = r.get
	}
	return []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(cfg))}, nil
}

func newMux(ctx context.Context) (*runtime.ServeMux, error) {
	mux := runtime.NewServeMux(
		runtime.WithIncomingHeaderMatcher(incoming),
		runtime.WithOutgoingHeaderMatcher(outgoing),
		runtime.WithMetadata(requestID),
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{OrigName: true, EmitDefaults: true}),
		// errors as google.rpc.Status JSON: code, message, details with the ErrorInfo reason
		runtime.WithProtoErrorHandler(writeError),
	)
	opts, err := dialOptions()
	if err != nil {
		return nil, err
	}
	opts = append(opts, grpc.WithBalancerName("round_robin"))
	if err := gw.RegisterSearchServiceHandlerFromEndpoint(ctx, mux, env("SEARCH_ADDR", "127.0.0.1:50051"), opts); err != nil {
		return nil, err
	}
	if err := gw.RegisterBookingServiceHandlerFromEndpoint(ctx, mux, env("BOOKING_ADDR", "127.0.0.1:50052"), opts); err != nil {
		return nil, err
	}
	return mux, nil
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mux, err := newMux(ctx)
	if err != nil {
		log.Fatalf("booking-gateway: %v", err)
	}
	root := http.NewServeMux()
	root.Handle("/api/", mux)
	root.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	srv := &http.Server{Addr: env("GATEWAY_LISTEN", "127.0.0.1:8080"), Handler: root,
		ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		shutdown, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		srv.Shutdown(shutdown)
	}()
	log.Printf("booking-gateway: REST on %s", srv.Addr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatalf("booking-gateway: %v", err)
	}
}
