# churnflow: run next to NATS. docker build -t churnflow . && docker run -e NATS_URL=nats://nats:4222 -p 9464:9464 churnflow
# The whole stack (NATS with partitions, two instances, simulator, Prometheus, Grafana): docker compose up --build.
# Node 26 is the Active LTS line (Lithium, LTS since 2026-10-28, end of life 2029-04-30); test/deploy/dockerfile.test.ts
# refuses a base that is not an LTS line still supported.
ARG NODE_IMAGE=node:26-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY scripts ./scripts
RUN npm run build

# Production dependencies only, pruned: source maps and the TF.js browser bundles (UMD, minified, ES2017, FESM)
# are never loaded by Node, which reads each @tensorflow package's `main` (dist/*.node.js) and the wasm backend's
# .wasm files. Measured on this lock file: node_modules 339 MB -> 94 MB, and the pruned tree loads the default model
# and scores on the wasm backend. (The full @tensorflow/tfjs bundle stays a dependency: src/ imports it in eight
# files, training included, so swapping to tfjs-core + -layers + -converter is more than an import line.)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Optional native TF backend: add `npm install @tensorflow/tfjs-node` here when the build machine has internet;
# without it the engine scores on the WebAssembly backend and says so in its log.
RUN npm ci --omit=dev --no-audit --no-fund \
  && find node_modules -name '*.map' -type f -delete \
  && find node_modules/@tensorflow/*/dist -maxdepth 1 -type f \( -name 'tf*.js' -o -name '*.min.js.html' \) \
       ! -name '*.node.js' -delete

FROM ${NODE_IMAGE}
# tini as PID 1: forwards SIGTERM to node (which drains and snapshots before exiting) and reaps zombies.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# glibc's malloc with a fixed mmap threshold (which also keeps its trim threshold at 128 KiB): buffers of 1 MiB and
# up get a mapping of their own, returned to the system when freed. By default the threshold rises, up to 32 MiB,
# each time a mapping larger than it is freed, as the state's per-customer arrays do when they grow; buffers below it
# then come from the heap, where what a catch-up frees mostly stays resident. npm run bench:memory measures both.
ENV MALLOC_MMAP_THRESHOLD_=1048576
# The metrics/health port, read by the engine (http.port) and by the HEALTHCHECK below: change it here or with
# `-e CHURNFLOW_HTTP_PORT=...` and both follow.
ENV CHURNFLOW_HTTP_PORT=9464
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
COPY models ./models
COPY schemas ./schemas
USER node
EXPOSE 9464
# Liveness (/healthz), not readiness: a replay after a start keeps /readyz at 503 for a while, which is no reason to
# call the container unhealthy. The start period covers loading the model and restoring snapshots.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.CHURNFLOW_HTTP_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/src/cli/main.js"]
CMD ["start"]
