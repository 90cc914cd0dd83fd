package main

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
)

// kubeadmCert is one certificate `kubeadm certs check-expiration` lists,
// either a PKI file or the client certificate embedded in a kubeconfig.
type kubeadmCert struct {
	name string
	// file is the host path: a .crt, or a kubeconfig (.conf).
	file string
	ca   string
}

// kubeadmCAs are kubeadm's certificate authorities, by the name kubeadm
// prints.
var kubeadmCAs = []kubeadmCert{
	{name: "ca", file: "/etc/kubernetes/pki/ca.crt"},
	{name: "etcd-ca", file: "/etc/kubernetes/pki/etcd/ca.crt"},
	{name: "front-proxy-ca", file: "/etc/kubernetes/pki/front-proxy-ca.crt"},
}

// kubeadmCerts are the leaf certificates and kubeconfigs kubeadm renews,
// in kubeadm's order.
var kubeadmCerts = []kubeadmCert{
	{name: "admin.conf", file: "/etc/kubernetes/admin.conf", ca: "ca"},
	{name: "apiserver", file: "/etc/kubernetes/pki/apiserver.crt", ca: "ca"},
	{name: "apiserver-etcd-client", file: "/etc/kubernetes/pki/apiserver-etcd-client.crt", ca: "etcd-ca"},
	{name: "apiserver-kubelet-client", file: "/etc/kubernetes/pki/apiserver-kubelet-client.crt", ca: "ca"},
	{name: "controller-manager.conf", file: "/etc/kubernetes/controller-manager.conf", ca: "ca"},
	{name: "etcd-healthcheck-client", file: "/etc/kubernetes/pki/etcd/healthcheck-client.crt", ca: "etcd-ca"},
	{name: "etcd-peer", file: "/etc/kubernetes/pki/etcd/peer.crt", ca: "etcd-ca"},
	{name: "etcd-server", file: "/etc/kubernetes/pki/etcd/server.crt", ca: "etcd-ca"},
	{name: "front-proxy-client", file: "/etc/kubernetes/pki/front-proxy-client.crt", ca: "front-proxy-ca"},
	{name: "scheduler.conf", file: "/etc/kubernetes/scheduler.conf", ca: "ca"},
	{name: "super-admin.conf", file: "/etc/kubernetes/super-admin.conf", ca: "ca"},
}

// clientCertData is the certificate a kubeconfig embeds for its user.
var clientCertData = regexp.MustCompile(`(?m)^\s*client-certificate-data:\s*(\S+)`)

// collectCertsKubeadm writes what `kubeadm certs check-expiration` prints
// on a control-plane node, in its layout: CERTIFICATE, EXPIRES, RESIDUAL
// TIME, CERTIFICATE AUTHORITY, EXTERNALLY MANAGED, then the authorities.
// A CA is externally managed when its key is absent (its existence is
// tested; keys are never opened); kubeconfigs are read only for their
// client certificate. Nodes without kubeadm's control-plane certificates
// (workers) are not applicable.
func collectCertsKubeadm(_ context.Context, c *collector) ([]byte, error) {
	external := map[string]bool{}
	for _, ca := range kubeadmCAs {
		_, crtErr := c.host.stat(ca.file)
		_, keyErr := c.host.stat(strings.TrimSuffix(ca.file, ".crt") + ".key")
		external[ca.name] = crtErr == nil && keyErr != nil
	}
	_, etcdErr := c.host.stat("/etc/kubernetes/pki/etcd/ca.crt")
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "CERTIFICATE\tEXPIRES\tRESIDUAL TIME\tCERTIFICATE AUTHORITY\tEXTERNALLY MANAGED")
	found := 0
	for _, kc := range kubeadmCerts {
		// With an external etcd kubeadm has no etcd certificates and
		// does not list them.
		if kc.ca == "etcd-ca" && etcdErr != nil {
			continue
		}
		cert, err := c.kubeadmCert(kc.file)
		if err != nil {
			// kubeadm's marker; certs_expiration has the error itself.
			fmt.Fprintf(tw, "!MISSING! %s\n", kc.name)
			continue
		}
		found++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", kc.name, kubeadmExpires(cert), residual(cert, c.now), kc.ca, yesNo(external[kc.ca]))
	}
	tw.Flush()
	if found == 0 {
		return nil, notApplicable("none of kubeadm's control-plane certificates is on this node (a worker, or not made by kubeadm); certs_expiration lists what it has")
	}
	b.WriteString("\n")
	tw = tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "CERTIFICATE AUTHORITY\tEXPIRES\tRESIDUAL TIME\tEXTERNALLY MANAGED")
	for _, ca := range kubeadmCAs {
		cert, err := c.kubeadmCert(ca.file)
		if err != nil {
			if ca.name == "etcd-ca" && etcdErr != nil {
				continue
			}
			fmt.Fprintf(tw, "!MISSING! %s\n", ca.name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ca.name, kubeadmExpires(cert), residual(cert, c.now), yesNo(external[ca.name]))
	}
	tw.Flush()
	return []byte(b.String()), nil
}

// kubeadmCert reads the first certificate of a PEM file, or the client
// certificate of a kubeconfig.
func (c *collector) kubeadmCert(file string) (*x509.Certificate, error) {
	data, err := c.host.readFile(file, maxConfigBytes)
	if err != nil {
		return nil, err
	}
	if path.Ext(file) == ".conf" {
		m := clientCertData.FindSubmatch(data)
		if m == nil {
			return nil, fmt.Errorf("%s: no client-certificate-data", file)
		}
		if data, err = base64.StdEncoding.DecodeString(string(m[1])); err != nil {
			return nil, fmt.Errorf("%s: client-certificate-data: %w", file, err)
		}
	}
	for len(data) > 0 {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			return cert, nil
		}
	}
	return nil, errors.New(file + ": no PEM certificate")
}

// kubeadmExpires is kubeadm's date format, in UTC.
func kubeadmExpires(cert *x509.Certificate) string {
	return cert.NotAfter.UTC().Format("Jan 02, 2006 15:04 MST")
}

// residual is kubeadm's RESIDUAL TIME: apimachinery's short duration
// (364d, 9y), "<invalid>" once expired.
func residual(cert *x509.Certificate, now time.Time) string {
	return duration.ShortHumanDuration(cert.NotAfter.Sub(now))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
