module spire-k8s-conformance/socket-bridge

go 1.24
