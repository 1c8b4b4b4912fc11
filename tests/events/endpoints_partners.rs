//! Global endpoints are stored and described; partner event sources answer as AWS does for
//! an account that has none.

use crate::client::{bus_arn, eb, failed};
use crate::common;
use aws_sdk_eventbridge::types::{
    EndpointEventBus, FailoverConfig, Primary, RoutingConfig, Secondary,
};

#[tokio::test]
async fn endpoints_are_created_described_updated_listed_and_deleted() {
    let server = common::start().await;
    let client = eb(&server);
    let routing = RoutingConfig::builder()
        .failover_config(
            FailoverConfig::builder()
                .primary(
                    Primary::builder()
                        .health_check("arn:aws:route53:::healthcheck/abc")
                        .build()
                        .expect("primary"),
                )
                .secondary(
                    Secondary::builder()
                        .route("us-west-2")
                        .build()
                        .expect("secondary"),
                )
                .build(),
        )
        .build();
    let bus = |arn: String| {
        EndpointEventBus::builder()
            .event_bus_arn(arn)
            .build()
            .expect("bus")
    };
    let created = client
        .create_endpoint()
        .name("ep")
        .routing_config(routing)
        .event_buses(bus(bus_arn("default")))
        .event_buses(bus(bus_arn("default").replace(common::REGION, "us-west-2")))
        .send()
        .await
        .expect("create endpoint");
    assert_eq!(created.name(), Some("ep"));
    assert_eq!(created.state().map(|s| s.as_str()), Some("ACTIVE"));
    let d = client
        .describe_endpoint()
        .name("ep")
        .send()
        .await
        .expect("describe");
    assert!(d.endpoint_id().is_some());
    client
        .update_endpoint()
        .name("ep")
        .description("d")
        .send()
        .await
        .expect("update");
    let listed = client.list_endpoints().send().await.expect("list");
    assert_eq!(listed.endpoints().len(), 1);
    assert_eq!(listed.endpoints()[0].description(), Some("d"));
    client
        .delete_endpoint()
        .name("ep")
        .send()
        .await
        .expect("delete");
    let e = failed(client.describe_endpoint().name("ep").send().await);
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, "Endpoint ep does not exist.");
}

#[tokio::test]
async fn an_account_without_partner_sources_sees_none() {
    let server = common::start().await;
    let client = eb(&server);
    let name = "aws.partner/example.com/123/source";
    let listed = client
        .list_event_sources()
        .send()
        .await
        .expect("list sources");
    assert!(listed.event_sources().is_empty());
    let listed = client
        .list_partner_event_sources()
        .name_prefix("aws.partner/example.com/")
        .send()
        .await
        .expect("list partner sources");
    assert!(listed.partner_event_sources().is_empty());
    for e in [
        failed(client.describe_event_source().name(name).send().await),
        failed(client.activate_event_source().name(name).send().await),
        failed(client.deactivate_event_source().name(name).send().await),
        failed(
            client
                .describe_partner_event_source()
                .name(name)
                .send()
                .await,
        ),
        failed(
            client
                .list_partner_event_source_accounts()
                .event_source_name(name)
                .send()
                .await,
        ),
    ] {
        assert_eq!(e.code, "ResourceNotFoundException");
        assert_eq!(e.message, format!("Event source {name} does not exist."));
    }
    client
        .delete_partner_event_source()
        .name(name)
        .account("111122223333")
        .send()
        .await
        .expect("delete is a no-op");
    let e = failed(
        client
            .create_partner_event_source()
            .name(name)
            .account("111122223333")
            .send()
            .await,
    );
    assert_eq!(e.code, "OperationDisabledException");
    let e = failed(
        client
            .put_partner_events()
            .entries(
                aws_sdk_eventbridge::types::PutPartnerEventsRequestEntry::builder()
                    .source(name)
                    .detail_type("t")
                    .detail("{}")
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(e.code, "OperationDisabledException");
    let e = failed(
        client
            .create_event_bus()
            .name(name)
            .event_source_name(name)
            .send()
            .await,
    );
    assert_eq!(e.code, "ResourceNotFoundException");
}
