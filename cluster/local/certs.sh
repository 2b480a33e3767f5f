#!/usr/bin/env bash
# Makes this cluster's PKI, once per cluster: a CA, serving certificates for the API server and
# the kubelet, client certificates per component, and the service-account signing key.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PKI="$STATE_DIR/pki"
mkdir -p "$PKI"
cd "$PKI"

# key NAME: an EC P-256 private key (fast to make, accepted by every component).
key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null; }

# cert NAME SUBJECT EXT: a certificate signed by the cluster CA.
cert() {
  local name=$1 subject=$2 ext=$3
  key "$name"
  openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr" 2>/dev/null
  printf '%s\n' "$ext" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

client='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'

key ca
openssl req -x509 -new -key ca.key -subj "/CN=spire-k8s-local-ca" -days 365 \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
  -out ca.crt 2>/dev/null

cert apiserver "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:$NODE_IP,IP:127.0.0.1,IP:$KUBERNETES_SVC_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN"
cert kubelet-serving "/CN=$NODE_NAME" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE_NAME,DNS:localhost"
cert admin "/O=system:masters/CN=spire-k8s-admin" "$client"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
cert controller-manager "/CN=system:kube-controller-manager" "$client"
cert scheduler "/CN=system:kube-scheduler" "$client"
cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "$client"
cert kube-proxy "/CN=system:kube-proxy" "$client"

# Service-account tokens are signed with this key and verified with its public half.
key sa
openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
chmod 600 ./*.key

# kubeconfig NAME SERVER: a kubeconfig authenticating with NAME's client certificate.
kubeconfig() {
  local name=$1 server=$2
  cat > "$STATE_DIR/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: spire-k8s-local
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 < ca.crt)
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 < "$name.crt")
    client-key-data: $(base64 -w0 < "$name.key")
contexts:
- name: spire-k8s-local
  context: {cluster: spire-k8s-local, user: $name}
current-context: spire-k8s-local
EOF
  chmod 600 "$STATE_DIR/$name.kubeconfig"
}
for c in admin controller-manager scheduler kubelet kube-proxy; do
  kubeconfig "$c" "https://127.0.0.1:$API_PORT"
done
