# syntax=docker/dockerfile:1
# The CloudLink 5 signalling server, `node dist/server.mjs`, configured by CL5_* environment variables
# (docs/deploy.md lists them). dist/ is committed (`npm run build` makes it), so the image only adds the
# runtime dependencies. Debian slim rather than Alpine: @roamhq/wrtc (the relay peer) ships a glibc binary.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency has an install script; --ignore-scripts keeps it that way.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
# Files stay owned by root: the server (user node) can read them but not change them.
COPY --from=deps /app/node_modules ./node_modules
# package.json marks the app's root: the server finds dist/cloudlink5.js (served at /cloudlink5.js) from it.
COPY package.json ./
COPY dist/server.mjs dist/relay.mjs dist/cloudlink5.js ./dist/
ENV CL5_HOST=0.0.0.0 \
    CL5_PORT=3000
USER node
EXPOSE 3000
# Liveness only: /readyz (is the store reachable?) is for the load balancer; restarting a node does not bring Redis back.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.CL5_PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM starts the graceful drain; exec form, so node itself (PID 1) receives it.
STOPSIGNAL SIGTERM
CMD ["node", "dist/server.mjs"]
