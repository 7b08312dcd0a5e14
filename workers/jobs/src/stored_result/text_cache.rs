//! Stored forms of the texts a process packed lately, by text id. Compressing the text was about
//! as much CPU as the rest of packing (`perf` on `fazhi serve` under load: 11 % of the process
//! against 4 % for the result), and the same text comes back often: one report resubmitted
//! under other hints or checklists, or fetched from another site with other page furniture,
//! reads to the same text. A stored form depends only on the text's bytes (form, level and
//! dictionary are fixed), so one made earlier is the one compressing would make now.
//!
//! Bounded by bytes: when a form would not fit, every form is forgotten and the cache fills
//! again (texts that keep coming back are soon in it again; an LRU's upkeep on every hit is not
//! worth it for this).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

/// ≈ 1,300 stored texts of a 16 KB report.
const CAPACITY_BYTES: usize = 8 << 20;

pub(super) struct TextForms {
    capacity: usize,
    by_id: HashMap<[u8; 32], Arc<[u8]>>,
    bytes: usize,
}

static FORMS: LazyLock<Mutex<TextForms>> =
    LazyLock::new(|| Mutex::new(TextForms::new(CAPACITY_BYTES)));

/// The process's cache. A panic while it was held leaves nothing half-written (each step is one
/// map call), so a poisoned lock is taken as it is.
pub(super) fn forms() -> MutexGuard<'static, TextForms> {
    FORMS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl TextForms {
    pub(super) fn new(capacity: usize) -> TextForms {
        TextForms {
            capacity,
            by_id: HashMap::new(),
            bytes: 0,
        }
    }

    pub(super) fn get(&self, id: &[u8; 32]) -> Option<Arc<[u8]>> {
        self.by_id.get(id).cloned()
    }

    /// Keeps `form` unless it is larger than a quarter of the capacity.
    pub(super) fn put(&mut self, id: [u8; 32], form: Arc<[u8]>) {
        if form.len() > self.capacity / 4 || self.by_id.contains_key(&id) {
            return;
        }
        if self.bytes + form.len() > self.capacity {
            self.clear();
        }
        self.bytes += form.len();
        self.by_id.insert(id, form);
    }

    pub(super) fn clear(&mut self) {
        self.by_id.clear();
        self.bytes = 0;
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.by_id.values().map(|f| f.len()).sum()
    }
}

/// The stored form of the text of id `id`: the one kept, or `make`'s, kept for next time. `make`
/// runs without the lock, so packing threads do not wait on each other's compression.
pub(super) fn stored_form<E>(
    id: &[u8; 32],
    make: impl FnOnce() -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, E> {
    if let Some(form) = forms().get(id) {
        return Ok(form.to_vec());
    }
    let form = make()?;
    forms().put(*id, Arc::from(form.as_slice()));
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn a_form_kept_is_given_back() {
        let mut f = TextForms::new(100);
        f.put(id(1), Arc::from(&b"abc"[..]));
        assert_eq!(f.get(&id(1)).as_deref(), Some(&b"abc"[..]));
        assert_eq!(f.get(&id(2)), None);
    }

    #[test]
    fn the_bytes_kept_never_pass_the_capacity() {
        let mut f = TextForms::new(100);
        for n in 0..50u8 {
            f.put(id(n), Arc::from(vec![n; 1 + usize::from(n % 25)]));
            assert!(f.bytes() <= 100, "{} bytes after {n}", f.bytes());
            assert_eq!(f.bytes, f.bytes(), "the count follows the forms");
            assert!(f.get(&id(n)).is_some(), "the form just put is kept");
        }
        // Too large a form is not kept, and does not push the others out.
        f.put(id(200), Arc::from(vec![0u8; 26]));
        assert_eq!(f.get(&id(200)), None);
        assert!(f.get(&id(49)).is_some());
    }

    #[test]
    fn a_form_kept_is_not_made_again() {
        let text_id = id(7);
        let mut made = 0;
        for _ in 0..3 {
            let form = stored_form::<()>(&text_id, || {
                made += 1;
                Ok(b"form".to_vec())
            });
            assert_eq!(form, Ok(b"form".to_vec()));
        }
        assert_eq!(made, 1);
        forms().clear();
        let failed = stored_form(&text_id, || Err("no"));
        assert_eq!(failed, Err("no"));
        assert_eq!(forms().get(&text_id), None, "a failure is not kept");
    }
}
