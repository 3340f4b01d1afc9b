use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use forgeflow_domain::Id;
use forgeflow_domain::user::{Email, User};

use crate::StoreError;
use crate::error::dynamo;
use crate::item::{self, Item, key, s, string_attr, to_item};

/// Users, and the claim that makes each e-mail address belong to one user.
///
/// Keys: `USER#{id}` / `USER` holds the user; `EMAIL#{email}` / `EMAIL` points at its owner.
#[derive(Clone, Debug)]
pub struct UserStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn user_key(id: Id<User>) -> Item {
    key(format!("USER#{id}"), "USER")
}

fn email_key(email: &Email) -> Item {
    key(format!("EMAIL#{}", email.as_str()), "EMAIL")
}

impl UserStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Writes the user and its e-mail claim in one transaction; `Conflict` if the address is taken.
    pub async fn create(&self, user: &User) -> Result<(), StoreError> {
        let mut claim = email_key(&user.email);
        claim.insert("user_id".into(), s(user.id.to_string()));
        let put_new = |item: Item| -> Result<TransactWriteItem, StoreError> {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|err| StoreError::backend("build put", err))?;
            Ok(TransactWriteItem::builder().put(put).build())
        };
        self.client
            .transact_write_items()
            .transact_items(put_new(claim)?)
            .transact_items(put_new(to_item(user_key(user.id), user)?)?)
            .send()
            .await
            .map_err(|err| dynamo("register user", "email already registered", err))?;
        Ok(())
    }

    pub async fn get(&self, id: Id<User>) -> Result<Option<User>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(user_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| StoreError::backend("get user", err))?;
        output.item.map(item::from_item).transpose()
    }

    pub async fn find_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let claim = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(email_key(email)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| StoreError::backend("get email claim", err))?;
        let Some(user_id) = claim.item.as_ref().and_then(|item| string_attr(item, "user_id")) else {
            return Ok(None);
        };
        let id = user_id
            .parse()
            .map_err(|err| StoreError::backend("read email claim", err))?;
        self.get(id).await
    }
}
