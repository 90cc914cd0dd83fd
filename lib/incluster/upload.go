package incluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// DefaultS3Endpoint is the endpoint of an upload whose settings name none:
// Amazon S3.
const DefaultS3Endpoint = "https://s3.amazonaws.com"

// S3Location is where bundles are uploaded: s3://BUCKET/PREFIX.
type S3Location struct {
	Bucket string
	// Prefix goes before each object's name, without a trailing slash;
	// may be empty.
	Prefix string
}

// ParseS3URL reads s3://BUCKET[/PREFIX].
func ParseS3URL(s string) (S3Location, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return S3Location{}, fmt.Errorf("upload location %q: want s3://BUCKET/PREFIX", s)
	}
	return S3Location{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}, nil
}

// Key is the object name of a file under the location.
func (l S3Location) Key(name string) string {
	if l.Prefix == "" {
		return name
	}
	return l.Prefix + "/" + name
}

// URL is s3://BUCKET/KEY of an object.
func (l S3Location) URL(name string) string { return "s3://" + l.Bucket + "/" + l.Key(name) }

func (l S3Location) String() string { return "s3://" + path.Join(l.Bucket, l.Prefix) }

// S3Settings reach an S3-compatible service.
type S3Settings struct {
	// Endpoint is the service's URL (http:// or https://); empty means
	// DefaultS3Endpoint.
	Endpoint string
	// AccessKey, SecretKey and SessionToken are the credentials; empty
	// keys make anonymous requests.
	AccessKey, SecretKey, SessionToken string
	// Region, when set, saves the client a request to look it up.
	Region string
}

// S3SettingsFromEnv reads the AWS CLI's variables, which every
// S3-compatible service's documentation speaks: AWS_ENDPOINT_URL_S3 or
// AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_REGION or AWS_DEFAULT_REGION. In a Job pod they
// come from a Secret.
func S3SettingsFromEnv(getenv func(string) string) S3Settings {
	return S3Settings{
		Endpoint:     cmp.Or(getenv("AWS_ENDPOINT_URL_S3"), getenv("AWS_ENDPOINT_URL")),
		AccessKey:    getenv("AWS_ACCESS_KEY_ID"),
		SecretKey:    getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken: getenv("AWS_SESSION_TOKEN"),
		Region:       cmp.Or(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION")),
	}
}

// Uploader puts bundles into an S3 location.
type Uploader struct {
	client *minio.Client
	loc    S3Location
	// KeepLocal keeps a bundle's file once uploaded; by default it is
	// removed, as a pod's output folder is small and the bundle is safe.
	KeepLocal bool
}

// NewUploader prepares uploads to loc with settings s. It makes no request.
func NewUploader(loc S3Location, s S3Settings) (*Uploader, error) {
	ep, err := url.Parse(cmp.Or(s.Endpoint, DefaultS3Endpoint))
	if err != nil || (ep.Scheme != "http" && ep.Scheme != "https") || ep.Host == "" {
		return nil, fmt.Errorf("S3 endpoint %q: want http(s)://HOST[:PORT]", s.Endpoint)
	}
	var creds *credentials.Credentials
	if s.AccessKey != "" || s.SecretKey != "" {
		creds = credentials.NewStaticV4(s.AccessKey, s.SecretKey, s.SessionToken)
	} else {
		creds = credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	}
	c, err := minio.New(ep.Host, &minio.Options{Creds: creds, Secure: ep.Scheme == "https", Region: s.Region})
	if err != nil {
		return nil, fmt.Errorf("S3 endpoint %s: %w", ep.Host, err)
	}
	return &Uploader{client: c, loc: loc}, nil
}

// Location is where the uploader puts files.
func (u *Uploader) Location() S3Location { return u.loc }

// Put uploads the file at p as the object named name under the location
// and returns its s3:// URL.
func (u *Uploader) Put(ctx context.Context, p, name string) (string, error) {
	ct := "application/octet-stream"
	if strings.HasSuffix(name, ".tar.gz") {
		ct = "application/gzip"
	} else if strings.HasSuffix(name, ".json") {
		ct = "application/json"
	}
	if _, err := u.client.FPutObject(ctx, u.loc.Bucket, u.loc.Key(name), p, minio.PutObjectOptions{ContentType: ct}); err != nil {
		return "", fmt.Errorf("upload %s to %s: %w", filepath.Base(p), u.loc.URL(name), err)
	}
	return u.loc.URL(name), nil
}

// BundleStep uploads each bundle once written (and analyzed: put it after
// the analyzers' steps) and puts its s3:// URL in the summary row instead
// of the local path. A failed upload keeps the local bundle and path, and
// is the step's error (a note of the summary).
func (u *Uploader) BundleStep() fleet.BundleStep {
	return func(ctx context.Context, _ *targets.Target, s *fleet.TargetSummary) error {
		if s.Bundle == "" {
			return nil
		}
		where, err := u.Put(ctx, s.Bundle, filepath.Base(s.Bundle))
		if err != nil {
			return err
		}
		if !u.KeepLocal {
			if err := os.Remove(s.Bundle); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("uploaded %s; remove the local copy: %w", where, err)
			}
		}
		s.Bundle = where
		return nil
	}
}
