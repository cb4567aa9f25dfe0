# The production image of Piper, one image for every role: `api` (the default
# command) and `worker` (node core/dist/cli/worker.js); see docker-compose.yml.
#   docker build -t piper/piper .

FROM node:20-bookworm-slim AS base
# The lockfile and the root package.json's allowScripts (which install scripts may
# run) are written for npm 11; the Node 20 image ships npm 10.
ARG NPM_VERSION=11.19.1
RUN npm install -g "npm@${NPM_VERSION}" && npm cache clean --force
WORKDIR /app

FROM base AS build
# A toolchain for native addons that have no prebuilt binary for this platform.
# node-gyp builds against the headers the Node image ships instead of downloading them.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM base AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    PIPER_DATA_DIR=/data
# The application stays owned by root, so the server cannot rewrite its own code;
# only the data directory is writable by the user it runs as.
COPY --from=build /app /app
RUN install -d -o node -g node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
CMD ["node", "--no-node-snapshot", "core/dist/cli/start.js"]
