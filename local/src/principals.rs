//! One IAM role per function in the emulator, with the statements CDK gives that function's role
//! ([`crate::iam`]), assumed as Lambda assumes it: each function process runs with its own session
//! credentials, so a call its role does not allow fails here as in AWS.

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use serde_json::json;

use crate::iam::{self, Arns, Role};
use crate::moto::{ACCOUNT_ID, ADMIN_USER};
use crate::{Stack, manifest};

#[derive(Debug, thiserror::Error)]
pub enum PrincipalError {
    #[error(transparent)]
    Permission(#[from] iam::UnknownPermission),
    #[error("{operation} for {function}: {message}")]
    Emulator {
        operation: &'static str,
        function: String,
        message: String,
    },
}

/// A role's session credentials, as Lambda hands them to a function.
#[derive(Clone)]
pub struct Session {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The variables Lambda sets for the function's role.
    pub fn env(&self) -> [(String, String); 3] {
        [
            ("AWS_ACCESS_KEY_ID".into(), self.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY".into(), self.secret_access_key.clone()),
            ("AWS_SESSION_TOKEN".into(), self.session_token.clone()),
        ]
    }
}

/// Function name → its role's session.
#[derive(Debug, Clone, Default)]
pub struct Principals {
    sessions: BTreeMap<String, Session>,
}

impl Principals {
    pub fn session(&self, function: &str) -> Option<&Session> {
        self.sessions.get(function)
    }

    /// Every role's session credentials (what `@connections` checks signatures with).
    pub fn credentials(&self) -> impl Iterator<Item = aws_sdk_dynamodb::config::Credentials> + '_ {
        self.sessions.values().map(|session| {
            aws_sdk_dynamodb::config::Credentials::new(
                &session.access_key_id,
                &session.secret_access_key,
                Some(session.session_token.clone()),
                None,
                "forgeflow-role",
            )
        })
    }

    /// `env` with `function`'s credentials in place of any there.
    pub fn env_for(&self, function: &str, env: &[(String, String)]) -> Vec<(String, String)> {
        let mut env = env.to_vec();
        if let Some(session) = self.session(function) {
            let own = session.env();
            env.retain(|(name, _)| !own.iter().any(|(set, _)| set == name));
            env.extend(own);
        }
        env
    }
}

/// The stack's resources as the ARNs its roles name.
fn arns(stack: &Stack) -> Arns {
    let websocket = manifest::websocket();
    Arns {
        bucket: format!("arn:aws:s3:::{}", stack.bucket),
        queues: stack.queue_arns.clone(),
        connections: format!(
            "arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{}/{}/*/@connections/*",
            crate::apigw::API_ID,
            websocket.stage
        ),
    }
}

/// Creates `{prefix}-{function}` for every role in `roles` (admin `config`), puts its policy and
/// assumes it.
pub async fn create(
    config: &SdkConfig,
    stack: &Stack,
    prefix: &str,
    roles: &[Role],
) -> Result<Principals, PrincipalError> {
    let iam_client = aws_sdk_iam::Client::new(config);
    let sts = aws_sdk_sts::Client::new(config);
    let arns = arns(stack);
    // Lambda's trust policy, and the local admin who assumes each role in Lambda's place (moto
    // cannot assume a role whose trust names only a service).
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com", "AWS": format!("arn:aws:iam::{ACCOUNT_ID}:user/{ADMIN_USER}")},
            "Action": "sts:AssumeRole",
        }],
    })
    .to_string();
    let mut sessions = BTreeMap::new();
    for role in roles {
        let failed = |operation: &'static str| {
            let function = role.function.clone();
            move |err: String| PrincipalError::Emulator {
                operation,
                function,
                message: err,
            }
        };
        let policy = iam::moto_policy(&role.statements()?, &arns).to_string();
        let name = format!("{prefix}-{}", role.function);
        let created = iam_client
            .create_role()
            .role_name(&name)
            .assume_role_policy_document(&trust)
            .send()
            .await;
        if let Err(err) = created {
            let exists = err
                .as_service_error()
                .is_some_and(|e| e.is_entity_already_exists_exception());
            if !exists {
                return Err(failed("CreateRole")(aws_sdk_iam::Error::from(err).to_string()));
            }
        }
        iam_client
            .put_role_policy()
            .role_name(&name)
            .policy_name("function")
            .policy_document(policy)
            .send()
            .await
            .map_err(|err| failed("PutRolePolicy")(aws_sdk_iam::Error::from(err).to_string()))?;
        let assumed = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}"))
            .role_session_name(&role.function)
            .duration_seconds(43_200)
            .send()
            .await
            .map_err(|err| failed("AssumeRole")(aws_sdk_sts::Error::from(err).to_string()))?;
        let credentials = assumed
            .credentials()
            .ok_or_else(|| failed("AssumeRole")("no credentials returned".into()))?;
        sessions.insert(
            role.function.clone(),
            Session {
                access_key_id: credentials.access_key_id().to_owned(),
                secret_access_key: credentials.secret_access_key().to_owned(),
                session_token: credentials.session_token().to_owned(),
            },
        );
    }
    Ok(Principals { sessions })
}
