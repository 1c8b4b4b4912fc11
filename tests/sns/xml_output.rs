//! Every query-protocol answer is well-formed XML, whatever a client stored: a control
//! character in a topic's display name or a tag (which SNS does not refuse) comes back as
//! U+FFFD instead of breaking the listing for every client.

use crate::common;
use crate::support::create_topic;
use aws_sdk_sns::types::Tag;

#[tokio::test]
async fn control_characters_in_stored_values_do_not_break_xml_answers() {
    let server = common::start().await;
    let sns = common::sns(&server);
    let topic = create_topic(&sns, "odd").await;
    sns.set_topic_attributes()
        .topic_arn(&topic)
        .attribute_name("DisplayName")
        .attribute_value("a\u{1}b")
        .send()
        .await
        .expect("SetTopicAttributes");
    sns.tag_resource()
        .resource_arn(&topic)
        .tags(
            Tag::builder()
                .key("k")
                .value("x\u{0}y")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("TagResource");
    let attributes = sns
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .expect("GetTopicAttributes parses");
    let display = attributes
        .attributes()
        .and_then(|a| a.get("DisplayName"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(display, "a\u{FFFD}b");
    let tags = sns
        .list_tags_for_resource()
        .resource_arn(&topic)
        .send()
        .await
        .expect("ListTagsForResource parses");
    assert_eq!(tags.tags()[0].value(), "x\u{FFFD}y");
    let topics = sns.list_topics().send().await.expect("ListTopics parses");
    assert_eq!(topics.topics().len(), 1);
}
