//! Embedding vectors: the [`cosine`] similarity `similar` decides on, and the compact text
//! form recordings keep them in ([`encode`], [`decode`]).

/// Returns the cosine similarity of two vectors, or `None` when it is undefined: different
/// lengths, an empty vector, or one of length zero (an embedder that returns zeros is broken,
/// and calling that "0% similar" would hide it).
pub(crate) fn cosine(a: &[f32], b: &[f32]) -> Option<f64> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let (mut dot, mut norm_a, mut norm_b) = (0.0_f64, 0.0_f64, 0.0_f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        norm_a += x * x;
        norm_b += y * y;
    }
    let norms = (norm_a * norm_b).sqrt();
    (norms > 0.0 && norms.is_finite()).then(|| (dot / norms).clamp(-1.0, 1.0))
}

/// Encodes a vector as base64 of its little-endian `f32`s: the encoding embedding APIs offer
/// (`encoding_format: base64`), about half the size of a JSON array of numbers.
pub(crate) fn encode(vector: &[f32]) -> String {
    let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
    data_encoding::BASE64.encode(&bytes)
}

/// Decodes [`encode`]'s text, or returns `None` when it is not such a vector.
pub(crate) fn decode(text: &str) -> Option<Vec<f32>> {
    let bytes = data_encoding::BASE64.decode(text.as_bytes()).ok()?;
    if bytes.len() % 4 != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|chunk| f32::from_le_bytes(chunk.try_into().expect("chunks are 4 bytes")))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_known_vectors() {
        assert!((cosine(&[1.0, 0.0], &[1.0, 0.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!(cosine(&[1.0, 0.0], &[0.0, 2.0]).unwrap().abs() < 1e-12);
        assert!((cosine(&[1.0, 1.0], &[1.0, 0.0]).unwrap() - 0.5_f64.sqrt()).abs() < 1e-9);
        assert!((cosine(&[1.0, 2.0], &[-1.0, -2.0]).unwrap() + 1.0).abs() < 1e-12);
    }

    #[test]
    fn cosine_is_undefined_for_broken_vectors() {
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), None);
        assert_eq!(cosine(&[1.0], &[1.0, 0.0]), None);
        assert_eq!(cosine(&[], &[]), None);
    }

    #[test]
    fn vectors_survive_the_text_form_exactly() {
        let vector = [0.1_f32, -2.5, 3.25e-8, f32::MAX];
        let text = encode(&vector);
        assert_eq!(text.len(), 24);
        assert_eq!(decode(&text).unwrap(), vector);
        assert_eq!(decode("not base64!"), None);
        assert_eq!(decode("AAA="), None, "two bytes are not an f32");
    }
}
