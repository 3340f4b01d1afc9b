//! What a story promises, by the kind of work it asks for: the benefit ("so that …") and
//! acceptance criteria a tester can check, phrased with the story's actor and entity.

use super::lexicon::Kind;

pub(super) fn benefit(kind: Kind, labels: &str) -> String {
    match kind {
        Kind::Create => format!("the {labels} are recorded in one place"),
        Kind::View => format!("I can see the state of the {labels} at a glance"),
        Kind::Change => format!("the {labels} stay accurate"),
        Kind::Remove => format!("outdated {labels} do not clutter the list"),
        Kind::Search => format!("I can find the {labels} I need quickly"),
        Kind::Transact => format!("I get the {labels} I need without paperwork"),
        Kind::Notify => format!("I do not miss what matters about my {labels}"),
        Kind::Access => format!("only the right people can reach the {labels}"),
        Kind::Export => format!("I can use the {labels} in other tools"),
        Kind::General => "the project does what its brief promises".to_owned(),
    }
}

pub(super) fn criteria(kind: Kind, actor: &str, e: &str, es: &str, goal: &str) -> Vec<String> {
    let lines: Vec<String> = match kind {
        Kind::Create => vec![
            format!("Given valid details, when the {actor} adds a {e}, then it is saved and shown with its new id"),
            format!(
                "Given a {e} without a name, when it is submitted, then it is refused with a message naming the field"
            ),
            format!("A new {e} appears in the list of {es} straight away"),
        ],
        Kind::View => vec![
            format!(
                "Given several {es}, when the {actor} opens the list, then all of them are shown in a stable order"
            ),
            format!("Given no {es} yet, when the {actor} opens the list, then an empty state is shown, not an error"),
            format!("Asking for a {e} that does not exist gives a clear not-found message"),
        ],
        Kind::Change => vec![
            format!(
                "Given an existing {e}, when the {actor} changes it, then the change is saved and visible on reload"
            ),
            format!("Changing a {e} that does not exist is refused as not found"),
            format!("An invalid change is refused and leaves the {e} as it was"),
        ],
        Kind::Remove => vec![
            format!("Given an existing {e}, when the {actor} removes it, then it no longer appears in the list"),
            format!("Removing a {e} that does not exist is refused as not found"),
        ],
        Kind::Search => vec![
            format!(
                "Given {es} that match and some that do not, when the {actor} filters, then only the matching ones are shown"
            ),
            "A filter that matches nothing shows an empty result, not an error".to_owned(),
        ],
        Kind::Transact => vec![
            format!(
                "Given an available {e}, when the {actor} asks to {goal}, then the request is recorded against the {actor}"
            ),
            format!("Asking for a {e} that is not available is refused with the reason"),
            format!("The {actor} can see the {es} they currently hold"),
        ],
        Kind::Notify => vec![
            format!("When the event happens, the {actor} is notified within a minute"),
            format!("The notification names the {e} it is about"),
            format!("The {actor} can turn these notifications off"),
        ],
        Kind::Access => vec![
            format!("Given a registered {actor}, when they sign in with the right password, then they are signed in"),
            "A wrong password is refused without saying whether the account exists".to_owned(),
            format!("Signed-out visitors cannot reach the {es}"),
        ],
        Kind::Export => vec![
            format!("When the {actor} exports the {es}, then a file with every {e} is produced"),
            format!("Exporting with no {es} gives an empty file with headers, not an error"),
        ],
        Kind::General => vec![
            format!("The {actor} can {goal} from the main screen"),
            format!("The {es} involved are saved and still there after a restart"),
            "Errors are shown as a clear message, never as a blank screen".to_owned(),
        ],
    };
    lines
}
