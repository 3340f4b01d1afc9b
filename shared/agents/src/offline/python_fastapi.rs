//! File contents for the python-fastapi template: one APIRouter per entity over an in-memory
//! list, pydantic v2 models, and pytest tests through FastAPI's TestClient.

use super::engineer::{Project, fill};

const REQUIREMENTS: &str = "fastapi>=0.110\nuvicorn>=0.29\npydantic>=2.6\npytest>=8\nhttpx>=0.27\n";

const PYPROJECT: &str = r#"[project]
name = "__package__"
version = "0.1.0"
description = "__summary__"
requires-python = ">=3.10"

[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
"#;

const MODEL: &str = r#"

class __Entity__In(BaseModel):
    """What a client sends to create or replace a __label__."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    notes: str = ""
__py_fields__

class __Entity__(__Entity__In):
    """A stored __label__."""

    id: int
"#;

const ROUTER: &str = r#""""__Labels__: create, list, fetch, update and delete, kept in memory."""

from fastapi import APIRouter, HTTPException, status

from app.models import __Entity__, __Entity__In

router = APIRouter(prefix="/__entities__", tags=["__entities__"])

_rows: list[__Entity__] = []
_last_id = 0


def reset() -> None:
    """Forgets every __label__ (tests start from an empty store)."""
    global _last_id
    _rows.clear()
    _last_id = 0


def _find(row_id: int) -> __Entity__:
    for row in _rows:
        if row.id == row_id:
            return row
    raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"__label__ {row_id} not found")


@router.get("", response_model=list[__Entity__])
def list___entities__() -> list[__Entity__]:
    return list(_rows)


@router.post("", response_model=__Entity__, status_code=status.HTTP_201_CREATED)
def create___entity__(data: __Entity__In) -> __Entity__:
    global _last_id
    _last_id += 1
    row = __Entity__(id=_last_id, **data.model_dump())
    _rows.append(row)
    return row


@router.get("/{row_id}", response_model=__Entity__)
def get___entity__(row_id: int) -> __Entity__:
    return _find(row_id)


@router.put("/{row_id}", response_model=__Entity__)
def update___entity__(row_id: int, data: __Entity__In) -> __Entity__:
    row = _find(row_id)
    updated = row.model_copy(update=data.model_dump())
    _rows[_rows.index(row)] = updated
    return updated


@router.delete("/{row_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete___entity__(row_id: int) -> None:
    _rows.remove(_find(row_id))
"#;

const TEST: &str = r#""""__Labels__ endpoints. Covers: __covers__."""

import pytest
from fastapi.testclient import TestClient

from app.main import app
from app.routers import __entity__ as store

client = TestClient(app)


@pytest.fixture(autouse=True)
def empty_store():
    store.reset()
    yield
    store.reset()


def test_a_created___entity___is_listed_and_fetched():
    response = client.post("/__entities__", json={"name": "First"})
    assert response.status_code == 201
    created = response.json()
    assert client.get("/__entities__").json() == [created]
    assert client.get(f"/__entities__/{created['id']}").json() == created


def test_a___entity___without_a_name_is_refused():
    assert client.post("/__entities__", json={"name": "  "}).status_code == 422


def test_a___entity___can_be_updated_and_removed():
    created = client.post("/__entities__", json={"name": "Draft"}).json()
    updated = client.put(f"/__entities__/{created['id']}", json={"name": "Final"})
    assert updated.status_code == 200
    assert updated.json()["name"] == "Final"
    assert client.delete(f"/__entities__/{created['id']}").status_code == 204
    assert client.get("/__entities__").json() == []


def test_a_missing___entity___is_not_found():
    assert client.get("/__entities__/42").status_code == 404
"#;

pub(super) fn content(project: &Project, path: &str) -> Option<String> {
    let summary = if project.summary.is_empty() {
        &project.title
    } else {
        &project.summary
    };
    let common = |text: &str| {
        text.replace("__package__", &project.package.replace('_', "-"))
            .replace("__summary__", summary)
    };
    let text = match path {
        "requirements.txt" => REQUIREMENTS.to_owned(),
        "pyproject.toml" => common(PYPROJECT),
        "app/__init__.py" => format!("\"\"\"{}: {}\"\"\"\n", project.title, summary),
        "app/routers/__init__.py" => "\"\"\"One router per resource.\"\"\"\n".to_owned(),
        "app/models.py" => {
            let mut text = "\"\"\"Data models: what clients send and what the API returns.\"\"\"\n\n\
                            from pydantic import BaseModel, ConfigDict, Field\n"
                .to_owned();
            for e in &project.entities {
                text.push_str(&fill(MODEL, e));
            }
            text
        }
        "app/main.py" => main_py(project),
        _ => {
            let entity = |prefix: &str, suffix: &str| {
                let name = path.strip_prefix(prefix)?.strip_suffix(suffix)?;
                project.entities.iter().find(|e| e.snake == name)
            };
            if let Some(e) = entity("app/routers/", ".py") {
                fill(ROUTER, e)
            } else if let Some(e) = entity("tests/test_", ".py") {
                fill(TEST, e).replace("__covers__", &project.covers(e))
            } else {
                return None;
            }
        }
    };
    Some(text)
}

fn main_py(project: &Project) -> String {
    let modules: Vec<&str> = project.entities.iter().map(|e| e.snake.as_str()).collect();
    let mut text = format!(
        "\"\"\"{}: the FastAPI application.\"\"\"\n\nfrom fastapi import FastAPI\n",
        project.title
    );
    if !modules.is_empty() {
        text.push_str(&format!("\nfrom app.routers import {}\n", modules.join(", ")));
    }
    text.push_str(&format!("\napp = FastAPI(title=\"{}\")\n", project.title));
    for module in &modules {
        text.push_str(&format!("app.include_router({module}.router)\n"));
    }
    text.push_str("\n\n@app.get(\"/health\")\ndef health() -> dict[str, str]:\n    return {\"status\": \"ok\"}\n");
    text
}
