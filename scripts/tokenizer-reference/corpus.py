"""The fixed corpus the tokenizer fixture is computed on.

Each entry exercises a pre-tokenizer rule that differs between model families: digit grouping,
case splitting, contractions, whitespace runs, CJK runs, combining marks, emoji sequences and
unnormalised (NFD) text. Special-token text such as <|endoftext|> is left out on purpose: engines
disagree on whether text matches a special token, and promptci counts such text as ordinary text.
"""

CORPUS = [
    "Hello, world!",
    "I'M sure you'LL like it; they've said we'd go. Don't! It's JOHN'S.",
    "1 12 123 1234 12345 123456 1234567 3.14159 1,000,000 2026-12-07 0.000001",
    "00000000000000000000 and 99999999999999999999999",
    "fn main() {\n    let x = vec![1, 2, 3];\n    println!(\"{:?}\", x.iter().sum::<i32>());\n}\n",
    "def f(a, b):\n\treturn {'a': a, \"b\": b}  # comment\n",
    "a  b   c\t\td\n\n\ne   \n  f    ",
    "line one\r\nline two\r\n\r\nline four\r\n",
    "   leading and trailing   ",
    "\n",
    " ",
    "如何导出我的订单数据？谢谢！我们的客服团队会在二十四小时内帮助您。",
    "データをエクスポートする方法を教えてください。カタカナとひらがな、そして漢字。",
    "내 데이터를 어떻게 내보내나요? 고객 지원팀이 도와드립니다.",
    "كيف يمكنني تصدير بياناتي؟ شكرا جزيلا لمساعدتكم.",
    "מה שלומך? אני רוצה לייצא את הנתונים שלי.",
    "मैं अपना डेटा कैसे निर्यात करूं? कृपया मदद करें।",
    "ฉันจะส่งออกข้อมูลของฉันได้อย่างไร ขอบคุณมากครับ",
    "Как экспортировать отчёт о заказах за прошлый месяц? Спасибо!",
    "Ερώτηση: πώς εξάγω τα δεδομένα μου; Ευχαριστώ πολύ.",
    "Tôi muốn xuất dữ liệu của mình. Cảm ơn bạn rất nhiều!",
    "Größenwerk Ångström São Paulo naïve façade Æsir œuvre ß Straße",
    "Zoe\u0308 A\u030angstro\u0308m cafe\u0301 nai\u0308ve",
    "👍🏽 🚀✨ 👨‍👩‍👧‍👦 🇩🇪🇯🇵 ❤️ 🙏 📦",
    "HTTPServer XMLHttpRequest camelCaseWord ALLCAPS McDonald iPhone eBay",
    "订单123456号在2026年12月7日发货，共3件。",
    "∀x∈ℝ: x²≥0 → ✓ ═══ ░▒▓ ½ ¾ € £ ¥ © ™",
    "https://example.com/path/to/page?q=export%20data&lang=de#section-2",
    '{"id": 42, "name": "Zoë", "tags": ["a", "b"], "ok": true, "ratio": 0.75}',
    "Comment exporter mes données de l’année dernière ? Ça presse, merci !",
    "Wie exportiere ich den Bericht für Größe „XL“ und die Rückgabe?",
    "¿Cómo exporto el informe de pedidos añadidos? 🙏 ¡Gracias!",
    "Hur exporterar jag min data? Tack 👍🏽 — Åsa Öberg",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "!!!??? ... --- *** ### ``` ~~~ <<< >>> ||| \\\\ //",
    "Mixed\tTabs\tand   spaces\n\n\tindented line\n    four spaces",
    "You are the support assistant for Acme Größenwerk. The customer is Zoë Ångström-42 from "
    "São Paulo on the standard plan.\n- be kind\n- be brief\n- never invent features\n"
    "Answer in the customer's language.\n",
    "Hello, about export report 7: Ερώτηση: πώς εξάγω τα δεδομένα μου; 如何导出我的订单数据？谢谢！ "
    "Hur exporterar jag min data? Tack 👍🏽 (ticket №7, ref ß-00d9)",
]
