// The generated files as a tree of folders, from the manifest's flat paths.
// Pure (tests/browser/unit/tree.test.mjs).

/**
 * ["src/main.rs", "README.md", "src/lib/a.rs"] → [{name: 'src', path: 'src', children: [...]},
 * {name: 'README.md', path: 'README.md', file: {...}}]: folders first, then files, each by name.
 */
export function buildTree(files) {
  const root = { children: new Map() };
  for (const file of files ?? []) {
    const path = typeof file === 'string' ? file : file.path;
    const parts = path.split('/');
    let node = root;
    parts.forEach((name, index) => {
      const here = parts.slice(0, index + 1).join('/');
      if (index === parts.length - 1) {
        node.children.set(`f:${name}`, { name, path: here, file: typeof file === 'string' ? { path } : file });
        return;
      }
      if (!node.children.has(`d:${name}`)) node.children.set(`d:${name}`, { name, path: here, children: new Map() });
      node = node.children.get(`d:${name}`);
    });
  }
  return sortNodes(root.children);
}

function sortNodes(children) {
  const nodes = [...children.values()].map((node) => (node.children ? { ...node, children: sortNodes(node.children) } : node));
  return nodes.sort((a, b) => Number(Boolean(b.children)) - Number(Boolean(a.children)) || a.name.localeCompare(b.name));
}

/** Every folder path above `path` ("a/b/c.rs" → ["a", "a/b"]): the folders to open to show it. */
export function ancestors(path) {
  const parts = String(path ?? '').split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}
