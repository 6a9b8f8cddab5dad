# syntax=docker/dockerfile:1
#
# Rampart's container images, one target per component, from one multi-stage file:
#
#   docker build --target gateway  -t <registry>/rampart-gateway:0.1.0  .
#   docker build --target identity -t <registry>/rampart-identity:0.1.0 .
#   docker build --target audit    -t <registry>/rampart-audit:0.1.0    .
#   docker build --target mesh     -t <registry>/rampart-mesh:0.1.0     .
#   docker build --target sidecar  -t <registry>/rampart-sidecar:0.1.0  .   (beside a process of any language)
#   docker build --target shop     -t <registry>/shop:0.1.0             .   (the example's services)
#
# `rampart export k8s` writes manifests for exactly these names (docs/deploy-kubernetes.md).
#
# Bases, pinned by digest so a rebuild cannot pick up a different image under the same tag
# (hadolint DL3006/DL3007, Trivy, OpenSSF Scorecard "Pinned-Dependencies"). Both are Debian 12
# (glibc), so the native addon npm installs in the build stage (@node-rs/argon2's prebuilt
# linux-x64-gnu binary, a Node-API addon) runs in the final one:
# - build: node:24-bookworm-slim — Node 24 with npm, for `npm ci` only; never shipped.
# - runtime: gcr.io/distroless/nodejs24-debian12:nonroot — Node 24 and its libraries, no shell,
#   no package manager, uid 65532; its ENTRYPOINT is node, so CMD names the entry.
# These digests were read from the pins of public projects, not pulled here (this repository is
# built without a Docker engine): check them with `docker buildx imagetools inspect <image>` and
# bump them together when the bases are refreshed.
ARG BUILD_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a

# ---- dependencies: production only, from the lockfile, no install scripts -------------------------
FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
# Every workspace's manifest, so that `npm ci` finds the lockfile's workspaces as they are.
COPY package.json package-lock.json ./
COPY packages/config/package.json packages/config/
COPY packages/errors/package.json packages/errors/
COPY packages/mesh/package.json packages/mesh/
COPY packages/scan/package.json packages/scan/
COPY packages/probe/package.json packages/probe/
COPY packages/sdk/package.json packages/sdk/
COPY packages/testing/package.json packages/testing/
COPY packages/tokens/package.json packages/tokens/
COPY services/audit/package.json services/audit/
COPY services/gateway/package.json services/gateway/
COPY services/identity/package.json services/identity/
COPY services/mesh/package.json services/mesh/
COPY services/sidecar/package.json services/sidecar/
COPY apps/cli/package.json apps/cli/
COPY apps/console/package.json apps/console/
COPY examples/shop/package.json examples/shop/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force

# ---- the libraries every component imports ----------------------------------------------------------
FROM deps AS libraries
COPY packages/config/ packages/config/
COPY packages/errors/ packages/errors/
COPY packages/mesh/ packages/mesh/
COPY packages/sdk/ packages/sdk/
COPY packages/tokens/ packages/tokens/

# ---- one final stage per component: node, the libraries, its own code; root-owned, read-only -------
# The files belong to root and are not writable by the runtime user; Kubernetes runs each pod as
# its own UID with a read-only root file system (the manifests set runAsUser), USER is the default.
FROM ${RUNTIME_IMAGE} AS mesh
WORKDIR /app
ENV NODE_ENV=production
COPY --from=libraries /app /app
COPY services/mesh/ services/mesh/
USER 65532:65532
EXPOSE 8445 9445
CMD ["services/mesh/src/main.ts"]

FROM ${RUNTIME_IMAGE} AS identity
WORKDIR /app
ENV NODE_ENV=production
COPY --from=libraries /app /app
COPY services/identity/ services/identity/
USER 65532:65532
EXPOSE 8444 9444
CMD ["services/identity/src/main.ts"]

FROM ${RUNTIME_IMAGE} AS audit
WORKDIR /app
ENV NODE_ENV=production
COPY --from=libraries /app /app
COPY services/audit/ services/audit/
USER 65532:65532
EXPOSE 8446 9446
CMD ["services/audit/src/main.ts"]

FROM ${RUNTIME_IMAGE} AS gateway
WORKDIR /app
ENV NODE_ENV=production
COPY --from=libraries /app /app
COPY apps/console/ apps/console/
COPY services/gateway/ services/gateway/
USER 65532:65532
EXPOSE 8443 9464
CMD ["services/gateway/src/main.ts"]

# `rampart sidecar` for a service declared with `upstream`: on Kubernetes a native sidecar in the
# pod of the process's own image (docs/adr/0020-sidecar-beside-the-process-on-kubernetes.md). It never
# starts `run` there (the process is the other container), so it needs no shell or setpriv.
FROM ${RUNTIME_IMAGE} AS sidecar
WORKDIR /app
ENV NODE_ENV=production
COPY --from=libraries /app /app
COPY services/sidecar/ services/sidecar/
USER 65532:65532
EXPOSE 7104 8104
CMD ["services/sidecar/src/main.ts"]

# The example's services: `rampart export k8s --app-dir /app/examples/shop` runs each service's
# entry from here (the manifests' args), so no CMD of its own.
FROM ${RUNTIME_IMAGE} AS shop
WORKDIR /app/examples/shop
ENV NODE_ENV=production
COPY --from=libraries /app /app
COPY examples/shop/ /app/examples/shop/
USER 65532:65532
