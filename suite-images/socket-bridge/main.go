// socket-bridge lets the suite speak gRPC to a SPIRE agent's Workload API socket from outside the
// pod: it accepts TCP connections on a loopback port (which the suite reaches by port-forward) and
// joins each to a new connection to the agent's Unix socket. The agent attests the caller by the
// peer of that Unix connection, this process, so the identity served is this pod's, as for any
// workload. Loopback only: no other pod can borrow this pod's identity through it.
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8123", "TCP address to accept on (keep it loopback)")
	socket := flag.String("socket", "/run/spire/sockets/agent.sock", "the agent's Workload API socket")
	flag.Parse()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen %s: %v", *listen, err)
	}
	log.Printf("bridging %s to unix:%s", *listen, *socket)
	go func() {
		// The pod's deletion ends the bridge at once (it is PID 1 and ignores SIGTERM otherwise).
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
		<-signals
		os.Exit(0)
	}()
	for {
		client, err := ln.Accept()
		if err != nil {
			log.Fatalf("accept: %v", err)
		}
		go bridge(client, *socket)
	}
}

func bridge(client net.Conn, socket string) {
	defer client.Close()
	log.Printf("connection from %s", client.RemoteAddr())
	agent, err := net.Dial("unix", socket)
	if err != nil {
		log.Printf("dial unix:%s: %v", socket, err)
		return
	}
	defer agent.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		// Half-close so the other side sees EOF and gRPC's connection ends cleanly.
		if c, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = c.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(agent, client)
	go pipe(client, agent)
	<-done
	<-done
}
