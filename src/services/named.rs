//! A name-keyed map of one kind of resource, shared by the services' stores.

use std::collections::BTreeMap;

/// A region's resources of one kind, by name (EventBridge archives, connections, ...; Step
/// Functions machines and activities). The key is always the resource's own name (`put`
/// takes it from the resource), so no caller can file one under another name.
pub struct Named<T>(BTreeMap<String, T>);

/// A resource that a region keeps by its name.
pub trait HasName {
    fn name(&self) -> &str;
}

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named(BTreeMap::new())
    }
}

impl<T: HasName> Named<T> {
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.get(name)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        self.0.get_mut(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Adds `item` under its name (callers check `contains` first where a duplicate is an
    /// error); returns the one it replaced.
    pub fn put(&mut self, item: T) -> Option<T> {
        self.0.insert(item.name().to_string(), item)
    }

    /// The resource named `name`, or the one `make` builds (with that name), added: an
    /// idempotent create.
    pub fn get_or_put_with(&mut self, name: &str, make: impl FnOnce() -> T) -> &mut T {
        let item = self.0.entry(name.to_string()).or_insert_with(make);
        debug_assert_eq!(item.name(), name);
        item
    }

    pub fn remove(&mut self, name: &str) -> Option<T> {
        self.0.remove(name)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every resource, in name order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.0.values()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.0.values_mut()
    }

    /// The resources whose names start with `prefix`, in name order (the List calls'
    /// `NamePrefix`).
    pub fn named<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a T> + 'a {
        self.0
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(name, _)| name.starts_with(prefix))
            .map(|(_, value)| value)
    }
}

/// `HasName` for resource structs whose `name` field is their name.
macro_rules! has_name {
    ($($kind:ty),*) => {
        $(impl $crate::services::named::HasName for $kind {
            fn name(&self) -> &str {
                &self.name
            }
        })*
    };
}

pub(crate) use has_name;
