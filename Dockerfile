# Builds the dkp-diagnose image: the static CLI in an empty (scratch) image,
# run by `dkp-diagnose --in-cluster` as the pods of an Indexed Job in the
# management cluster (docs/in-cluster.md). Its tag is the version
# `dkp-diagnose version` prints, which is the image a CLI of that version
# runs by default.
#
#   v=$(git describe --tags --always --dirty)
#   docker build --build-arg VERSION=$v -t <registry>/dkp-diagnose:$v .
#
# Air-gapped sites push it to their mirror and pass --in-cluster-image.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS=linux
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app.Version=${VERSION}" \
    -o /out/dkp-diagnose ./cmd/dkp-diagnose \
 && mkdir -p /out/bin /out/output /out/tmp /out/etc/ssl/certs \
 && ln -s ../dkp-diagnose /out/bin/tar \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/

FROM scratch
# No shell, no package manager: the binary, and the binary as `tar`, with
# which the CLI copies a pod's output over exec.
COPY --from=build /out/dkp-diagnose /dkp-diagnose
COPY --from=build /out/bin /bin
# CA certificates: uploads to an https S3 endpoint (--upload).
COPY --from=build /out/etc /etc
COPY --from=build --chown=65532:65532 /out/output /output
COPY --from=build --chown=65532:65532 /out/tmp /tmp
ENV PATH=/bin:/
# Reads the cluster through its service account: no root needed.
USER 65532:65532
ENTRYPOINT ["/dkp-diagnose"]
