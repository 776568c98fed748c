# churnflow: run next to NATS. docker build -t churnflow . && docker run -e NATS_URL=nats://nats:4222 -p 9464:9464 churnflow
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY scripts ./scripts
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Optional native TF backend: add `npm install @tensorflow/tfjs-node` here when the build machine has internet;
# without it the engine scores on the WebAssembly backend and says so in its log.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
COPY models ./models
COPY schemas ./schemas
USER node
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:9464/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["start"]
