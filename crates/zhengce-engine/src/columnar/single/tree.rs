//! Phase 2 of the single path: the kernels of the flat tree program (one loop per node group,
//! branch-free selects) and the status tables a root byte and a region outcome map to.

use super::*;

/// Status code by region outcome ([`F`], [`U`], [`T`]) and tree status code: outside the region
/// is ineligible; an unknown region turns eligible into possible.
pub(super) const REGION_STATUS: [[u8; 4]; 3] = [
    [code::INELIGIBLE; 4],
    [code::INELIGIBLE, code::NEAR_MISS, code::POSSIBLE, code::POSSIBLE],
    [code::INELIGIBLE, code::NEAR_MISS, code::POSSIBLE, code::ELIGIBLE],
];

/// The status code of a root byte, as `zhengce_rules::judge` decides it: strict true is
/// eligible, strict unknown possible, strict false with a gap and relaxed not false a near miss.
pub(super) const fn tree_status(c: u8) -> u8 {
    let s = c & 0b11;
    let near = (c >> 2) & (!c >> 4) & 1 & (s == 0) as u8;
    (s + (s != 0) as u8 - (s >> 1) + near) & 3
}

/// [`REGION_STATUS`] by region outcome and root byte (`outcome * 32 + byte`; outcome 3 never
/// occurs: a table rather than a clamp, so that no branch depends on the outcome).
pub(super) const STATUS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 96 {
        t[i] = REGION_STATUS[i / 32][tree_status((i % 32) as u8) as usize];
        i += 1;
    }
    t
};

/// [`status_of_code`] as a table.
pub(super) const STATUSES: [Status; 4] = [Status::Ineligible, Status::NearMiss, Status::Possible, Status::Eligible];

/// An `All`'s byte from the AND of its children's (relaxed false: strict false, no gap).
#[inline(always)]
pub(super) fn all_end(acc: u8) -> u8 {
    pick((acc >> 2) & 1, acc | ((!acc << 2) & 0x10), PF)
}

/// `a` when `bit` is 1, `b` when it is 0, by masks: these selects depend on the enterprise's
/// data, and a branch there is mispredicted about as often as taken.
#[inline(always)]
pub(super) fn pick(bit: u8, a: u8, b: u8) -> u8 {
    let m = 0u8.wrapping_sub(bit);
    (a & m) | (b & !m)
}

/// One more child of an `Any` (`AtLeast(1)`); start from [`PF`].
#[inline(always)]
pub(super) fn any_step(acc: u8, c: u8) -> u8 {
    let ng = acc & (c | (c << 4)) & 0x10;
    ((acc | c) & 0x0F) | ng
}

/// An `Any`'s byte (strict true: the group holds and reports no gap).
#[inline(always)]
pub(super) fn any_end(acc: u8) -> u8 {
    pick((acc >> 1) & 1, PT, acc | (((acc << 4) | (!acc << 2)) & 0x10))
}

/// `AtLeast(k)` over its children's bytes.
#[inline(always)]
pub(super) fn at_least(k: usize, cs: impl Iterator<Item = u8>) -> u8 {
    let (mut ys, mut ms, mut yr, mut mr, mut g) = (0usize, 0usize, 0usize, 0usize, false);
    for p in cs {
        ys += usize::from(p & 0b10 != 0);
        ms += usize::from(p & 0b11 == 0b01);
        yr += usize::from(p & 0b1000 != 0);
        mr += usize::from(p & 0b1100 == 0b0100);
        g |= p & 0x10 == 0 && p & 1 == 0;
    }
    if ys >= k {
        return PT;
    }
    let tri = |y: usize, m: usize| u8::from(y + m >= k) | (u8::from(y >= k) << 1);
    let (s, r) = (tri(ys, ms), tri(yr, mr));
    let gap = g && s == 0 && r != 0;
    s | (r << 2) | (u8::from(!gap) << 4)
}

/// Per packed byte, the counts [`at_least`] adds up, one per byte lane: strict true, strict
/// unknown, relaxed true, relaxed unknown, a child with a gap that is not strictly unknown.
pub(super) const COUNTS: [u64; 32] = {
    let mut t = [0u64; 32];
    let mut p = 0;
    while p < 32 {
        let c = p as u8;
        t[p] = (c & 0b10 != 0) as u64
            | (((c & 0b11 == 0b01) as u64) << 8)
            | (((c & 0b1000 != 0) as u64) << 16)
            | (((c & 0b1100 == 0b0100) as u64) << 24)
            | (((c & 0x10 == 0 && c & 1 == 0) as u64) << 32);
        p += 1;
    }
    t
};

/// [`at_least`] for at most 255 children, by adding their [`COUNTS`].
#[inline(always)]
pub(super) fn at_least_small(k: usize, cs: impl Iterator<Item = u8>) -> u8 {
    let sum: u64 = cs.map(|c| COUNTS[usize::from(c & 31)]).sum();
    let lane = |i: u32| ((sum >> (8 * i)) & 0xFF) as usize;
    let (ys, ms, yr, mr, g) = (lane(0), lane(1), lane(2), lane(3), lane(4) != 0);
    let tri = |y: usize, m: usize| u8::from(y + m >= k) | (u8::from(y >= k) << 1);
    let (s, r) = (tri(ys, ms), tri(yr, mr));
    let gap = g & (s == 0) & (r != 0);
    pick(u8::from(ys >= k), PT, s | (r << 2) | (u8::from(!gap) << 4))
}

/// A `Not`'s byte.
#[inline(always)]
pub(super) fn not(c: u8) -> u8 {
    let s = ((!c >> 1) & 1) | ((!c & 1) << 1);
    s | (s << 2) | 0x10
}

/// Evaluates the nodes of one group with `node` (children's bytes → the node's byte), `N`
/// children each (0: the group's arity, not known at compile time). Children are read from
/// `read` (the slots before the group's), the nodes written to `write` (the group's slots).
#[inline(always)]
pub(super) fn nodes<const N: usize, K: Ix>(
    g: &Group,
    kids: &[K],
    read: &[u8],
    write: &mut [u8],
    node: impl Fn(&[u8], &[K]) -> u8,
) {
    let arity = if N == 0 { g.arity } else { N };
    for (o, kids) in write.iter_mut().zip(kids.chunks_exact(arity.max(1))) {
        let kids: &[K] = if N == 0 { kids } else { &kids[..N] };
        *o = node(read, kids);
    }
}

/// A child's byte.
#[inline(always)]
pub(super) fn get<K: Ix>(codes: &[u8], k: K) -> u8 {
    // Children precede their parent by construction (`Single::program`): always in bounds.
    codes[k.ix()]
}

pub(super) fn group_n<const N: usize, K: Ix>(g: &Group, kids: &[K], read: &[u8], write: &mut [u8]) {
    match g.op {
        GOp::Not => nodes::<N, K>(g, kids, read, write, |c, ks| not(get(c, ks[0]))),
        GOp::All => nodes::<N, K>(g, kids, read, write, |c, ks| all_end(ks.iter().fold(PT, |acc, &k| acc & get(c, k)))),
        GOp::Any => nodes::<N, K>(g, kids, read, write, |c, ks| any_end(ks.iter().fold(PF, |acc, &k| any_step(acc, get(c, k))))),
        // A constant arity is at most 12: the byte lanes cannot overflow.
        GOp::AtLeast(k) if N > 0 => nodes::<N, K>(g, kids, read, write, |c, ks| at_least_small(k, ks.iter().map(|&x| get(c, x)))),
        GOp::AtLeast(k) => nodes::<N, K>(g, kids, read, write, |c, ks| at_least(k, ks.iter().map(|&x| get(c, x)))),
    }
}

pub(super) fn run_group(g: &Group, codes: &mut [u8]) {
    let (read, write) = codes.split_at_mut(g.out.min(codes.len()));
    let write = match write.get_mut(..g.count) {
        Some(w) => w,
        None => write,
    };
    if g.arity == 0 {
        // Nodes without children (an empty `All` or `AtLeast`).
        write.fill(match g.op {
            GOp::All => all_end(PT),
            GOp::Any => any_end(PF),
            GOp::AtLeast(k) => at_least(k, std::iter::empty()),
            GOp::Not => PU,
        });
        return;
    }
    match &g.kids {
        Kids::Narrow(k) => by_arity(g, k, read, write),
        Kids::Wide(k) => by_arity(g, k, read, write),
    }
}

pub(super) fn by_arity<K: Ix>(g: &Group, k: &[K], read: &[u8], write: &mut [u8]) {
    match g.arity {
        1 => group_n::<1, K>(g, k, read, write),
        2 => group_n::<2, K>(g, k, read, write),
        3 => group_n::<3, K>(g, k, read, write),
        4 => group_n::<4, K>(g, k, read, write),
        5 => group_n::<5, K>(g, k, read, write),
        6 => group_n::<6, K>(g, k, read, write),
        7 => group_n::<7, K>(g, k, read, write),
        8 => group_n::<8, K>(g, k, read, write),
        9 => group_n::<9, K>(g, k, read, write),
        10 => group_n::<10, K>(g, k, read, write),
        11 => group_n::<11, K>(g, k, read, write),
        12 => group_n::<12, K>(g, k, read, write),
        _ => group_n::<0, K>(g, k, read, write),
    }
}
