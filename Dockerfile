# Multi-stage: compile TypeScript with dev dependencies, ship only dist/ and production deps.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY providers ./providers
COPY test ./test
RUN npx tsc -p tsconfig.json

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/providers ./dist/providers
USER 65532:65532
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["run"]
