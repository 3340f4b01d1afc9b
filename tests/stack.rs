//! The local bootstrap creates in moto exactly what `manifest/resources.json` describes.

use aws_sdk_sqs::types::QueueAttributeName;
use forgeflow_local::{bootstrap, manifest};
use forgeflow_tests::spawn_app;

#[tokio::test]
async fn the_table_has_the_keys_indexes_and_ttl_of_the_manifest() {
    let app = spawn_app().await;
    let spec = manifest::resources().table;
    let dynamo = &app.context.clients.dynamo;
    let table = dynamo
        .describe_table()
        .table_name(&app.stack.table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let keys: Vec<(String, String)> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name().to_owned(), k.key_type().as_str().to_owned()))
        .collect();
    assert_eq!(
        keys,
        [
            (spec.partition_key.clone(), "HASH".into()),
            (spec.sort_key.clone(), "RANGE".into())
        ]
    );
    let mut indexes: Vec<String> = table
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name().map(String::from))
        .collect();
    indexes.sort();
    let expected: Vec<String> = spec.global_secondary_indexes.iter().map(|i| i.name.clone()).collect();
    assert_eq!(indexes, expected);
    let ttl = dynamo
        .describe_time_to_live()
        .table_name(&app.stack.table)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some(spec.ttl_attribute.as_str()));
}

#[tokio::test]
async fn every_queue_redrives_to_its_dlq_after_the_manifest_receive_count() {
    let app = spawn_app().await;
    let sqs = &app.context.clients.sqs;
    for spec in manifest::resources().queues {
        let (url, dlq_url) = &app.stack.queues[&spec.id];
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        assert_eq!(
            attributes[&QueueAttributeName::VisibilityTimeout],
            spec.visibility_timeout_s.to_string()
        );
        let redrive: serde_json::Value = serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy]).unwrap();
        assert_eq!(
            redrive["maxReceiveCount"].to_string().trim_matches('"'),
            spec.max_receive_count.to_string()
        );
        let dlq_arn = sqs
            .get_queue_attributes()
            .queue_url(dlq_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()
            .remove(&QueueAttributeName::QueueArn)
            .unwrap();
        assert_eq!(redrive["deadLetterTargetArn"], dlq_arn.as_str());
    }
}

#[tokio::test]
async fn bootstrapping_again_keeps_what_exists() {
    let app = spawn_app().await;
    let user = app.register().await;
    let prefix = app.stack.table.trim_end_matches("-table").to_owned();
    let again = bootstrap(&app.context.clients, &prefix, &|_| None)
        .await
        .expect("a second bootstrap succeeds");
    assert_eq!(again.table, app.stack.table);
    assert_eq!(again.queues, app.stack.queues);
    let me = app.call(reqwest::Method::GET, "/me", Some(&user.token), None).await;
    assert_eq!(me.status, 200, "data and the JWT secret survive a second bootstrap");
}
