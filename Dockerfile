# Build stage: compile TypeScript, then drop dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# node-pty (terminals for exec -t) compiles a native addon.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
RUN npm ci && npm run build && npm prune --omit=dev

# Runtime stage: only the compiled output and production dependencies, as a non-root user (the
# worker's Deployment and compose service run it as root: it runs steps under uids of their own).
FROM node:20-bookworm-slim
ENV NODE_ENV=production
# tini runs as PID 1: it forwards signals to node and reaps the zombies that step processes
# (the worker's children and their orphans) leave behind.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
# The worker switches each step to its run's uid with setpriv and sets its limits with prlimit,
# both from util-linux, which is Essential in Debian and so already here: fail the build if not.
RUN setpriv --version && prlimit --version
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The working directory is writable by the runtime user: relative data and cert paths land there.
# /run/kube-actions holds the worker's step uid lock files (--step-uid-lock-dir), root's alone.
RUN install -d -o 65532 -g 65532 /var/lib/kube-actions && install -d -m 0700 /run/kube-actions
WORKDIR /var/lib/kube-actions
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/bin/tini","--","node","/app/dist/src/cli/main.js"]
