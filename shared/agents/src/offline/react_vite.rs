//! File contents for the react-vite template: strict TypeScript, one function component per
//! entity with local state, and vitest + Testing Library tests.

use super::engineer::{Project, fill};

const PACKAGE_JSON: &str = r#"{
  "name": "__package__",
  "private": true,
  "version": "0.1.0",
  "type": "module",
  "scripts": {
    "dev": "vite",
    "build": "tsc && vite build",
    "typecheck": "tsc",
    "test": "vitest run"
  },
  "dependencies": {
    "react": "^18.3.1",
    "react-dom": "^18.3.1"
  },
  "devDependencies": {
    "@testing-library/dom": "^10.4.0",
    "@testing-library/react": "^16.0.1",
    "@types/react": "^18.3.12",
    "@types/react-dom": "^18.3.1",
    "@vitejs/plugin-react": "^4.3.3",
    "jsdom": "^25.0.1",
    "typescript": "^5.6.3",
    "vite": "^5.4.10",
    "vitest": "^2.1.4"
  }
}
"#;

const TSCONFIG: &str = r#"{
  "compilerOptions": {
    "target": "ES2020",
    "lib": ["ES2020", "DOM", "DOM.Iterable"],
    "module": "ESNext",
    "moduleResolution": "bundler",
    "jsx": "react-jsx",
    "strict": true,
    "noUnusedLocals": true,
    "noUnusedParameters": true,
    "noEmit": true,
    "isolatedModules": true,
    "skipLibCheck": true
  },
  "include": ["src", "vite.config.ts"]
}
"#;

const VITE_CONFIG: &str = r#"import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [react()],
  test: { environment: 'jsdom' },
});
"#;

const INDEX_HTML: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>__title__</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.tsx"></script>
  </body>
</html>
"#;

const MAIN_TSX: &str = r#"import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './App';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
"#;

const COMPONENT: &str = r#"import { useState, type FormEvent } from 'react';

export interface __Entity__ {
  id: number;
  name: string;
__ts_fields__}

/** __Labels__: add, list and remove, kept in the page's memory. */
export default function __Entity__List() {
  const [rows, setRows] = useState<__Entity__[]>([]);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);

  function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const trimmed = name.trim();
    if (trimmed === '') {
      setError('A name is required');
      return;
    }
    setRows((current) => [...current, { id: Math.max(0, ...current.map((row) => row.id)) + 1, name: trimmed }]);
    setName('');
    setError(null);
  }

  function remove(id: number) {
    setRows((current) => current.filter((row) => row.id !== id));
  }

  return (
    <section aria-label="__Labels__">
      <h2>__Labels__</h2>
      <form onSubmit={add}>
        <label>
          New __label__
          <input value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <button type="submit">Add __label__</button>
      </form>
      {error && <p role="alert">{error}</p>}
      {rows.length === 0 ? (
        <p>No __labels__ yet.</p>
      ) : (
        <ul>
          {rows.map((row) => (
            <li key={row.id}>
              {row.name}{' '}
              <button type="button" onClick={() => remove(row.id)}>
                Remove {row.name}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
"#;

const TEST: &str = r#"// __Labels__ component. Covers: __covers__.
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import __Entity__List from './__Entity__';

afterEach(cleanup);

function add(name: string) {
  fireEvent.change(screen.getByLabelText('New __label__'), { target: { value: name } });
  fireEvent.click(screen.getByText('Add __label__'));
}

describe('__Entity__List', () => {
  it('starts empty', () => {
    render(<__Entity__List />);
    expect(screen.getByText('No __labels__ yet.')).toBeTruthy();
  });

  it('adds a __label__', () => {
    render(<__Entity__List />);
    add('First');
    expect(screen.getByText('Remove First')).toBeTruthy();
  });

  it('refuses a __label__ without a name', () => {
    render(<__Entity__List />);
    add('   ');
    expect(screen.getByRole('alert').textContent).toBe('A name is required');
  });

  it('removes a __label__', () => {
    render(<__Entity__List />);
    add('Draft');
    fireEvent.click(screen.getByText('Remove Draft'));
    expect(screen.queryByText('Remove Draft')).toBeNull();
    expect(screen.getByText('No __labels__ yet.')).toBeTruthy();
  });
});
"#;

pub(super) fn content(project: &Project, path: &str) -> Option<String> {
    let text = match path {
        "package.json" => PACKAGE_JSON.replace("__package__", &project.package.replace('_', "-")),
        "tsconfig.json" => TSCONFIG.to_owned(),
        "vite.config.ts" => VITE_CONFIG.to_owned(),
        "index.html" => INDEX_HTML.replace("__title__", &project.title),
        "src/main.tsx" => MAIN_TSX.to_owned(),
        "src/App.tsx" => app_tsx(project),
        _ => {
            let name = path.strip_prefix("src/components/")?;
            if let Some(pascal) = name.strip_suffix(".test.tsx") {
                let e = project.entities.iter().find(|e| e.pascal == pascal)?;
                fill(TEST, e).replace("__covers__", &project.covers(e))
            } else {
                let pascal = name.strip_suffix(".tsx")?;
                fill(COMPONENT, project.entities.iter().find(|e| e.pascal == pascal)?)
            }
        }
    };
    Some(text)
}

fn app_tsx(project: &Project) -> String {
    let mut text = String::new();
    for e in &project.entities {
        text.push_str(&format!("import {0}List from './components/{0}';\n", e.pascal));
    }
    text.push_str(&format!(
        "\nexport default function App() {{\n  return (\n    <main>\n      <h1>{}</h1>\n",
        project.title
    ));
    if !project.summary.is_empty() {
        text.push_str(&format!("      <p>{}</p>\n", project.summary));
    }
    for e in &project.entities {
        text.push_str(&format!("      <{}List />\n", e.pascal));
    }
    text.push_str("    </main>\n  );\n}\n");
    text
}
