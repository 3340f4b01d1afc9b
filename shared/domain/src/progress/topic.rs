use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::ValidationError;

/// What a topic is about; its id is that entity's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TopicKind {
    Execution,
    Generation,
    Export,
    Project,
}

impl TopicKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Execution => "execution",
            Self::Generation => "generation",
            Self::Export => "export",
            Self::Project => "project",
        }
    }
}

/// `execution:{id}`, `generation:{id}`, `export:{id}` or `project:{id}`: what a client
/// subscribes to and what every event is numbered within.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Topic {
    pub kind: TopicKind,
    pub id: Uuid,
}

impl Topic {
    pub fn new(kind: TopicKind, id: Uuid) -> Self {
        Self { kind, id }
    }

    pub fn execution<T>(id: crate::Id<T>) -> Self {
        Self::new(TopicKind::Execution, id.as_uuid())
    }

    pub fn generation<T>(id: crate::Id<T>) -> Self {
        Self::new(TopicKind::Generation, id.as_uuid())
    }

    pub fn export<T>(id: crate::Id<T>) -> Self {
        Self::new(TopicKind::Export, id.as_uuid())
    }

    pub fn project<T>(id: crate::Id<T>) -> Self {
        Self::new(TopicKind::Project, id.as_uuid())
    }

    /// The topic's id as the typed id of the entity it names.
    pub fn id_of<T>(&self) -> crate::Id<T> {
        crate::Id::from_uuid(self.id)
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.id)
    }
}

impl FromStr for Topic {
    type Err = ValidationError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let refuse = || {
            ValidationError::new(
                "topic",
                "must be execution:{id}, generation:{id}, export:{id} or project:{id}",
            )
        };
        let (kind, id) = value.split_once(':').ok_or_else(refuse)?;
        let kind = match kind {
            "execution" => TopicKind::Execution,
            "generation" => TopicKind::Generation,
            "export" => TopicKind::Export,
            "project" => TopicKind::Project,
            _ => return Err(refuse()),
        };
        let id =
            Uuid::try_parse(id).map_err(|_| ValidationError::new("topic", "the id after the colon is not a UUID"))?;
        Ok(Self { kind, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_text_form() {
        let id = Uuid::now_v7();
        for kind in [
            TopicKind::Execution,
            TopicKind::Generation,
            TopicKind::Export,
            TopicKind::Project,
        ] {
            let topic = Topic::new(kind, id);
            assert_eq!(topic.to_string().parse::<Topic>().unwrap(), topic);
        }
        assert_eq!(Topic::new(TopicKind::Export, id).to_string(), format!("export:{id}"));
    }

    #[test]
    fn refuses_unknown_kinds_and_bad_ids_naming_the_field() {
        for bad in [
            "",
            "execution",
            "user:0193",
            "execution:not-a-uuid",
            "schedule:00000000-0000-0000-0000-000000000000",
        ] {
            let err = bad.parse::<Topic>().unwrap_err();
            assert_eq!(err.field, "topic", "{bad}");
        }
    }
}
