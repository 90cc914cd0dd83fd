package framework

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// keyPair is a certificate with its private key, both as parsed values and as
// the PEM files the components read.
type keyPair struct {
	Cert     *x509.Certificate
	Key      crypto.Signer
	CertPEM  []byte
	KeyPEM   []byte
	CertFile string
	KeyFile  string
}

// pki holds every credential of one cluster. Nothing is shared between
// clusters, so a client of one cluster can never talk to another by mistake.
type pki struct {
	dir string
	// CA signs the serving and client certificates the apiserver trusts.
	CA *keyPair
	// FrontProxyCA only exists so the apiserver has a request-header CA and
	// its clients stop logging about the missing bundle.
	FrontProxyCA *keyPair
	APIServer    *keyPair
	// Kubelet is kwok's serving certificate: the apiserver verifies it, as a
	// real control plane verifies kubelets.
	Kubelet *keyPair
	// KubeletClient is how the apiserver authenticates to kwok for logs/exec.
	KubeletClient *keyPair
	ProxyClient   *keyPair
	Admin         *keyPair
	// SAKeyFile and SAPubFile sign and verify service-account tokens.
	SAKeyFile string
	SAPubFile string
}

// newPKI writes a fresh CA and all certificates a cluster needs into dir.
// ECDSA P-256 keeps generation in the milliseconds, which matters when a test
// starts several clusters.
func newPKI(dir string) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create pki dir: %w", err)
	}
	p := &pki{dir: dir}
	var err error
	if p.CA, err = p.newCA("ca", "dkp-e2e-ca"); err != nil {
		return nil, err
	}
	if p.FrontProxyCA, err = p.newCA("front-proxy-ca", "dkp-e2e-front-proxy-ca"); err != nil {
		return nil, err
	}
	serving := certSpec{
		dns:   []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		ips:   []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, net.IPv4(10, 0, 0, 1)},
		usage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if p.APIServer, err = p.issue(p.CA, "apiserver", "kube-apiserver", nil, serving); err != nil {
		return nil, err
	}
	kubelet := certSpec{dns: []string{"localhost"}, ips: []net.IP{net.IPv4(127, 0, 0, 1)}, usage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if p.Kubelet, err = p.issue(p.CA, "kubelet", "kwok-kubelet", nil, kubelet); err != nil {
		return nil, err
	}
	client := certSpec{usage: clientUsage}
	if p.KubeletClient, err = p.issue(p.CA, "apiserver-kubelet-client", "kube-apiserver-kubelet-client", []string{"system:masters"}, client); err != nil {
		return nil, err
	}
	if p.ProxyClient, err = p.issue(p.FrontProxyCA, "front-proxy-client", "front-proxy-client", nil, client); err != nil {
		return nil, err
	}
	if p.Admin, err = p.issue(p.CA, "admin", "admin", []string{"system:masters"}, client); err != nil {
		return nil, err
	}
	if err := p.writeSAKeys(); err != nil {
		return nil, err
	}
	return p, nil
}

// clientUsage marks a certificate as a client identity for the apiserver.
var clientUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}

type certSpec struct {
	dns   []string
	ips   []net.IP
	usage []x509.ExtKeyUsage
}

func (p *pki) newCA(file, cn string) (*keyPair, error) {
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	return p.sign(file, tmpl, nil)
}

// issue signs a leaf certificate. For client certificates, cn becomes the
// Kubernetes user name and orgs its groups.
func (p *pki) issue(ca *keyPair, file, cn string, orgs []string, spec certSpec) (*keyPair, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn, Organization: orgs},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: spec.usage,
		DNSNames:    spec.dns,
		IPAddresses: spec.ips,
	}
	return p.sign(file, tmpl, ca)
}

// sign creates a key and certificate from tmpl, self-signed when ca is nil,
// and writes both as PEM files named after file.
func (p *pki) sign(file string, tmpl *x509.Certificate, ca *keyPair) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key for %s: %w", file, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("serial for %s: %w", file, err)
	}
	tmpl.SerialNumber = serial
	// Backdated so a clock a little behind on another process still accepts it.
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(10 * 365 * 24 * time.Hour)
	parent, signer := tmpl, crypto.Signer(key)
	if ca != nil {
		parent, signer = ca.Cert, ca.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("sign certificate %s: %w", file, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse certificate %s: %w", file, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal key %s: %w", file, err)
	}
	kp := &keyPair{
		Cert:     cert,
		Key:      key,
		CertPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		CertFile: filepath.Join(p.dir, file+".crt"),
		KeyFile:  filepath.Join(p.dir, file+".key"),
	}
	if err := os.WriteFile(kp.CertFile, kp.CertPEM, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", kp.CertFile, err)
	}
	if err := os.WriteFile(kp.KeyFile, kp.KeyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", kp.KeyFile, err)
	}
	return kp, nil
}

// writeSAKeys writes the service-account signing key pair. The apiserver
// accepts ECDSA keys and signs tokens with ES256.
func (p *pki) writeSAKeys() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate service-account key: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("marshal service-account key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return fmt.Errorf("marshal service-account public key: %w", err)
	}
	p.SAKeyFile = filepath.Join(p.dir, "sa.key")
	p.SAPubFile = filepath.Join(p.dir, "sa.pub")
	if err := os.WriteFile(p.SAKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", p.SAKeyFile, err)
	}
	if err := os.WriteFile(p.SAPubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", p.SAPubFile, err)
	}
	return nil
}
