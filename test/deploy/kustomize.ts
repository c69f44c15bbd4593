// A small, strict `kustomize build` for the manifests under deploy/kubernetes (the kustomize binary
// is Go and not an npm package): resources (files and directories), `labels` (metadata only), and
// `patches` of two kinds, a strategic-merge `$patch: delete` and a JSON 6902 patch with a target
// (add/replace/remove). Anything else in a kustomization is an error, not silently ignored.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Resource = Record<string, any> & { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> } };

/** Every YAML document in a file, as plain objects; a syntax error fails with the file's name. */
export function readYaml(path: string): any[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  const out: any[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

const KNOWN_KEYS = new Set(['apiVersion', 'kind', 'resources', 'patches', 'labels']);

const id = (r: { apiVersion?: string; kind?: string; metadata?: { name?: string } }) => `${r.apiVersion}/${r.kind}/${r.metadata?.name}`;

/** The resources `kustomize build dir` would print, in order. */
export function kustomizeBuild(dir: string): Resource[] {
  const [k] = readYaml(join(dir, 'kustomization.yaml'));
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') throw new Error(`${dir}: not a Kustomization`);
  for (const key of Object.keys(k)) if (!KNOWN_KEYS.has(key)) throw new Error(`${dir}/kustomization.yaml: unsupported field ${key}`);
  let resources: Resource[] = [];
  for (const entry of k.resources ?? []) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) resources.push(...kustomizeBuild(path));
    else resources.push(...readYaml(path));
  }
  for (const r of resources) {
    if (!r.apiVersion || !r.kind || !r.metadata?.name) throw new Error(`${dir}: a resource without apiVersion, kind or metadata.name: ${JSON.stringify(r).slice(0, 200)}`);
  }
  const seen = new Set<string>();
  for (const r of resources) {
    if (seen.has(id(r))) throw new Error(`${dir}: ${id(r)} twice`);
    seen.add(id(r));
  }
  for (const { pairs, includeSelectors, includeTemplates, ...rest } of k.labels ?? []) {
    if (includeSelectors || includeTemplates || Object.keys(rest).length > 0) throw new Error(`${dir}: only plain metadata labels are supported`);
    for (const r of resources) r.metadata.labels = { ...r.metadata.labels, ...pairs };
  }
  for (const p of k.patches ?? []) {
    if (typeof p.patch !== 'string' || p.path !== undefined) throw new Error(`${dir}: only inline patches are supported`);
    if (p.target) {
      const ops = readYamlText(p.patch);
      const matches = resources.filter((r) => r.kind === p.target.kind && r.metadata.name === p.target.name &&
        r.apiVersion === (p.target.group ? `${p.target.group}/${p.target.version}` : p.target.version));
      if (matches.length !== 1) throw new Error(`${dir}: the patch target ${JSON.stringify(p.target)} matches ${matches.length} resources`);
      for (const op of ops) applyJson6902(matches[0]!, op, dir);
    } else {
      const patch = readYamlText(p.patch);
      const { $patch, ...target } = patch;
      if ($patch !== 'delete' || Object.keys(target).some((key) => !['apiVersion', 'kind', 'metadata'].includes(key))) {
        throw new Error(`${dir}: only "$patch: delete" strategic-merge patches are supported`);
      }
      const before = resources.length;
      resources = resources.filter((r) => id(r) !== id(target));
      if (resources.length !== before - 1) throw new Error(`${dir}: the delete patch for ${id(target)} matches nothing`);
    }
  }
  return resources;
}

function readYamlText(text: string): any {
  const docs = parseAllDocuments(text);
  if (docs.length !== 1 || docs[0]!.errors.length > 0) throw new Error(`a patch is not one YAML document: ${text.slice(0, 100)}`);
  return docs[0]!.toJS();
}

function applyJson6902(target: any, op: { op: string; path: string; value?: unknown }, dir: string): void {
  const parts = op.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = parts.pop()!;
  let node = target;
  for (const part of parts) {
    node = node?.[part];
    if (node === undefined) throw new Error(`${dir}: the JSON patch path ${op.path} does not exist`);
  }
  if (Array.isArray(node) && op.op !== 'replace') throw new Error(`${dir}: JSON patch ${op.op} inside an array is not supported`);
  if (op.op === 'replace' || op.op === 'remove') {
    if (!(last in node)) throw new Error(`${dir}: the JSON patch path ${op.path} does not exist`);
  }
  if (op.op === 'replace' || op.op === 'add') node[last] = structuredClone(op.value);
  else if (op.op === 'remove') delete node[last];
  else throw new Error(`${dir}: unsupported JSON patch op ${op.op}`);
}
