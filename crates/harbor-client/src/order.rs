//! One stable sort for the short lists the dashboard orders (chart bars, CVE tables,
//! repository stamps, the limiter's samples).
//!
//! The standard library's sort is fast but large, and compiled again for every element
//! type and comparison: a dozen short lists cost the wasm some 45 KB. Here the work is
//! a merge sort of positions behind one `dyn` comparison, compiled once; only the final
//! reordering is per type, and it is a few instructions. The artifact table's sorts
//! (`inventory::sort`), where a million rows meet, keep the standard one.
//!
//! ```
//! let mut words = vec!["pear", "fig", "apple", "kiwi"];
//! harbor_client::order::sort_by(&mut words, |a, b| a.len().cmp(&b.len()));
//! // Stable: "pear" stays ahead of "kiwi".
//! assert_eq!(words, ["fig", "pear", "kiwi", "apple"]);
//! ```

use std::cmp::Ordering;

/// Sorts `items` by `compare`, keeping equal items in their order.
pub fn sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let order = positions(items.len(), &mut |a, b| compare(&items[a], &items[b]));
    reorder(items, order);
}

/// Sorts `items` by their natural order, stably.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// The positions of `0..len` in sorted order: bottom-up merge sort, stable because a
/// tie takes the left run's item first.
fn positions(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut merged = vec![0; len];
    let mut width = 1;
    while width < len {
        for start in (0..len).step_by(2 * width) {
            let middle = (start + width).min(len);
            let end = (start + 2 * width).min(len);
            let (mut left, mut right) = (start, middle);
            for slot in &mut merged[start..end] {
                let from_left = right == end
                    || (left < middle && compare(order[left], order[right]) != Ordering::Greater);
                if from_left {
                    *slot = order[left];
                    left += 1;
                } else {
                    *slot = order[right];
                    right += 1;
                }
            }
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    order
}

/// Moves `items[order[k]]` to position `k` for every `k`, cycle by cycle, in place.
fn reorder<T>(items: &mut [T], mut order: Vec<usize>) {
    const PLACED: usize = usize::MAX;
    for start in 0..order.len() {
        let mut at = start;
        while order[at] != PLACED {
            let from = order[at];
            order[at] = PLACED;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_the_standard_stable_sort(items in prop::collection::vec((0u8..8, any::<u16>()), 0..300)) {
            let mut ours = items.clone();
            let mut theirs = items;
            // Ties on the key keep their order: the second field tells them apart.
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            theirs.sort_by_key(|a| a.0);
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn short_and_sorted_lists() {
        let mut empty: [u8; 0] = [];
        sort(&mut empty);
        let mut one = [5];
        sort(&mut one);
        assert_eq!(one, [5]);
        let mut sorted: Vec<u32> = (0..100).collect();
        sort(&mut sorted);
        assert!(sorted.windows(2).all(|w| w[0] < w[1]));
        let mut reversed: Vec<u32> = (0..101).rev().collect();
        sort(&mut reversed);
        assert_eq!(reversed, (0..101).collect::<Vec<_>>());
    }
}
