// Command s3 is the S3-compatible server of the e2e tests of --upload:
// gofakes3, in memory, on the address given. It is never part of the
// product: hack/s3-bin.sh builds it from this module, whose go.sum alone
// pins gofakes3, so it stays out of the project's go.mod.
//
//	s3 -addr 127.0.0.1:9000
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	// The listening address on stdout, one line, for the test that
	// started it on port 0.
	fmt.Fprintln(os.Stdout, ln.Addr().String())
	faker := gofakes3.New(s3mem.New())
	srv := &http.Server{Handler: faker.Server(), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}
