"""Tests for conversations.masking. Pure Python: no database, no Django.

Run alone with:
    .venv/bin/python -m pytest conversations/tests/test_masking.py -p no:django -q
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.masking import PLACEHOLDERS, MaskResult, mask_pii


def assert_masked(text: str, expected: str, counts: dict[str, int]) -> None:
    result = mask_pii(text)
    assert result.text == expected
    assert result.counts == counts


def assert_kept(text: str) -> None:
    result = mask_pii(text)
    assert result.text == text
    assert result.counts == {}


# --- the public API ---------------------------------------------------------


def test_it_returns_a_mask_result_with_text_and_counts() -> None:
    result = mask_pii("메일은 hong@naver.com 입니다.")

    assert isinstance(result, MaskResult)
    assert result == ("메일은 [EMAIL] 입니다.", {"email": 1})


def test_it_names_one_placeholder_per_type() -> None:
    assert PLACEHOLDERS == {
        "secret": "[SECRET]",
        "email": "[EMAIL]",
        "rrn": "[RRN]",
        "card": "[CARD]",
        "phone": "[PHONE]",
    }


def test_it_returns_an_empty_string_unchanged() -> None:
    assert mask_pii("") == MaskResult("", {})


def test_it_returns_the_same_string_when_there_is_nothing_to_mask() -> None:
    text = "안녕하세요! 오늘 오후 3시 회의 자료를 공유드립니다. 배포는 2025년 8월 18일입니다."

    result = mask_pii(text)

    assert result.text is text
    assert result.counts == {}


# --- phones -----------------------------------------------------------------


def test_it_masks_a_korean_mobile_number_and_an_email_with_particles() -> None:
    assert_masked(
        "안녕하세요, 제 번호는 010-1234-5678이고 메일은 hong@naver.com 입니다.",
        "안녕하세요, 제 번호는 [PHONE]이고 메일은 [EMAIL] 입니다.",
        {"phone": 1, "email": 1},
    )


def test_it_masks_a_korean_mobile_number_without_separators() -> None:
    assert_masked("01012345678로 연락 주세요", "[PHONE]로 연락 주세요", {"phone": 1})


def test_it_masks_a_korean_mobile_number_glued_to_hangul_on_both_sides() -> None:
    assert_masked("번호는01012345678입니다", "번호는[PHONE]입니다", {"phone": 1})


def test_it_masks_a_korean_mobile_number_with_spaces() -> None:
    assert_masked("010 1234 5678 으로 문자 주세요", "[PHONE] 으로 문자 주세요", {"phone": 1})


def test_it_masks_a_korean_mobile_number_with_dots() -> None:
    assert_masked("연락처: 010.1234.5678", "연락처: [PHONE]", {"phone": 1})


def test_it_masks_korean_mobile_numbers_with_the_country_code() -> None:
    assert_masked(
        "해외에서는 +82 10 1234 5678 또는 +82-10-1234-5678로 거세요.",
        "해외에서는 [PHONE] 또는 [PHONE]로 거세요.",
        {"phone": 2},
    )


def test_it_masks_seoul_landline_numbers() -> None:
    assert_masked(
        "본사 02-123-4567, 지사 (02) 1234-5678",
        "본사 [PHONE], 지사 [PHONE]",
        {"phone": 2},
    )


def test_it_masks_other_korean_numbers() -> None:
    assert_masked(
        "경기 031-123-4567, 인터넷전화 070-1234-5678, 대표번호 1588-1234",
        "경기 [PHONE], 인터넷전화 [PHONE], 대표번호 [PHONE]",
        {"phone": 3},
    )


def test_it_masks_international_numbers() -> None:
    assert_masked(
        "Call the SF office at +1 415-555-2671 or London on +44 20 7946 0958.",
        "Call the SF office at [PHONE] or London on [PHONE].",
        {"phone": 2},
    )


def test_it_masks_numbers_separated_only_by_a_comma() -> None:
    assert_masked("010-1234-5678,010-9876-5432", "[PHONE],[PHONE]", {"phone": 2})


def test_it_masks_full_width_digits() -> None:
    assert_masked("번호 ０１０-１２３４-５６７８", "번호 [PHONE]", {"phone": 1})


def test_it_masks_two_korean_numbers_separated_only_by_a_space() -> None:
    # phonenumbers alone reads the six groups as one invalid candidate.
    assert_masked(
        "연락처 010 1234 5678 010 9876 5432, 사무실 02 123 4567 031 123 4567",
        "연락처 [PHONE] [PHONE], 사무실 [PHONE] [PHONE]",
        {"phone": 4},
    )


def test_it_masks_an_international_number_next_to_a_korean_one() -> None:
    assert_masked(
        "+1 415-555-2671 02-123-4567 +1 415 555 2671 010 1234 5678",
        "[PHONE] [PHONE] [PHONE] [PHONE]",
        {"phone": 4},
    )


def test_it_masks_a_representative_number_and_a_number_after_a_list_dot() -> None:
    assert_masked(
        "고객센터 15881234, 담당자 1.010-1234-5678",
        "고객센터 [PHONE], 담당자 1.[PHONE]",
        {"phone": 2},
    )


def test_it_keeps_a_number_glued_to_latin_letters() -> None:
    assert_kept("build rb01012345678 done")


# --- e-mail -----------------------------------------------------------------


def test_it_masks_an_email_followed_by_a_korean_particle() -> None:
    assert_masked(
        "hong.gildong+tag@company.co.kr으로 보내주세요",
        "[EMAIL]으로 보내주세요",
        {"email": 1},
    )


def test_it_masks_an_email_glued_to_hangul_before_it() -> None:
    assert_masked("메일은hong@naver.com입니다.", "메일은[EMAIL]입니다.", {"email": 1})


def test_it_masks_an_email_at_the_end_of_a_sentence() -> None:
    assert_masked(
        "Please write to jane.doe@example.com. Thanks!",
        "Please write to [EMAIL]. Thanks!",
        {"email": 1},
    )


def test_it_masks_an_email_with_an_underscore_and_a_long_local_part() -> None:
    local = "hong_gildong." + "x" * 70
    assert_masked(f"주소: {local}@naver.com", "주소: [EMAIL]", {"email": 1})


def test_it_masks_an_email_made_of_digits_as_an_email_not_a_phone() -> None:
    assert_masked("01012345678@naver.com", "[EMAIL]", {"email": 1})


# --- resident registration numbers -------------------------------------------


def test_it_masks_a_resident_registration_number_with_a_dash() -> None:
    assert_masked("주민번호 900101-1234567입니다", "주민번호 [RRN]입니다", {"rrn": 1})


def test_it_masks_resident_registration_numbers_without_a_dash() -> None:
    assert_masked(
        "주민번호 9001011234567 / 0512314123456 / 900101 2234567",
        "주민번호 [RRN] / [RRN] / [RRN]",
        {"rrn": 3},
    )


def test_it_keeps_a_thirteen_digit_run_with_an_impossible_date() -> None:
    assert_kept("조회번호 901301-1234567")
    assert_kept("조회번호 900132-1234567")


def test_it_keeps_a_thirteen_digit_run_whose_seventh_digit_is_not_one_to_eight() -> None:
    assert_kept("조회번호 900101-9234567")


# --- cards ------------------------------------------------------------------


def test_it_masks_card_numbers_grouped_by_spaces_or_dashes_or_not_at_all() -> None:
    assert_masked(
        "카드 4111 1111 1111 1111, 4111-1111-1111-1111, 5555555555554444로 결제",
        "카드 [CARD], [CARD], [CARD]로 결제",
        {"card": 3},
    )


def test_it_masks_an_amex_number_in_four_six_five_groups() -> None:
    assert_masked("Amex 3782 822463 10005 expires 09/27", "Amex [CARD] expires 09/27", {"card": 1})


def test_it_masks_a_card_number_right_after_a_phone_number() -> None:
    assert_masked(
        "010-1234-5678 4111 1111 1111 1111 / 4111 1111 1111 1111 010-1234-5678",
        "[PHONE] [CARD] / [CARD] [PHONE]",
        {"phone": 2, "card": 2},
    )


def test_it_keeps_a_sixteen_digit_number_that_fails_luhn() -> None:
    assert_kept("카드 1234 5678 9012 3456")


def test_it_keeps_millisecond_timestamps_and_snowflake_ids() -> None:
    assert_kept("created 1724041200123, id 1234567890123456789")


# --- secrets ----------------------------------------------------------------


def test_it_masks_a_slack_bot_token_and_keeps_the_variable_name() -> None:
    assert_masked(
        "SLACK_BOT_TOKEN=xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "SLACK_BOT_TOKEN=[SECRET]",
        {"secret": 1},
    )


def test_it_masks_slack_tokens_of_every_kind() -> None:
    assert_masked(
        "xoxp-1234-5678-abcd xoxa-2-abcdef xoxr-998877-zz xoxs-123456 xapp-1-A0123-4567-abcdef",
        "[SECRET] [SECRET] [SECRET] [SECRET] [SECRET]",
        {"secret": 5},
    )


def test_it_masks_a_bearer_token_and_keeps_the_word_bearer() -> None:
    assert_masked(
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abc-def_123",
        "Authorization: Bearer [SECRET]",
        {"secret": 1},
    )


def test_it_masks_an_api_key_header_and_keeps_the_scheme() -> None:
    assert_masked(
        "헤더에 Api-Key Rr4lD1Rl.ZGhLYy9WYxYr9tBYmsYePqqrBJnbTc6F 를 넣으세요",
        "헤더에 Api-Key [SECRET] 를 넣으세요",
        {"secret": 1},
    )


def test_it_masks_openai_and_stripe_keys() -> None:
    assert_masked(
        "keys: sk-proj-abcdefghijklmnop1234, sk_live_51H8abcdefghijklmnopqrst, "
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "keys: [SECRET], [SECRET], [SECRET]",
        {"secret": 3},
    )


def test_it_masks_aws_and_github_keys() -> None:
    assert_masked(
        "AKIAIOSFODNN7EXAMPLE / ghp_abcdefghijklmnopqrstuvwxyz0123456789 / "
        "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789",
        "[SECRET] / [SECRET] / [SECRET]",
        {"secret": 3},
    )


def test_it_masks_assigned_values_and_keeps_the_labels() -> None:
    assert_masked(
        "api_key=abc123 apikey: zzz999 https://x.io/cb?token=abc789&page=2 password=hunter2!",
        "api_key=[SECRET] apikey: [SECRET] https://x.io/cb?token=[SECRET]&page=2 password=[SECRET]",
        {"secret": 4},
    )


def test_it_masks_a_json_api_key_but_keeps_token_counts() -> None:
    assert_masked(
        '{"api_key": "abcd1234", "max_tokens": 4096, "total_tokens": 1234}',
        '{"api_key": "[SECRET]", "max_tokens": 4096, "total_tokens": 1234}',
        {"secret": 1},
    )


def test_it_masks_a_korean_password_label_and_keeps_the_particle() -> None:
    assert_masked("비밀번호: hunter2입니다", "비밀번호: [SECRET]입니다", {"secret": 1})


def test_it_masks_the_password_in_a_url() -> None:
    assert_masked(
        "DB는 postgres://admin:s3cr3t@db.example.com:5432/app 입니다",
        "DB는 postgres://admin:[SECRET]@db.example.com:5432/app 입니다",
        {"secret": 1},
    )


def test_it_masks_a_secret_before_its_digits_can_look_like_a_phone_number() -> None:
    assert_masked("token=01012345678", "token=[SECRET]", {"secret": 1})


def test_it_keeps_prose_about_tokens_and_keys() -> None:
    assert_kept("Use a Bearer token for auth; Api-Key authentication is also supported.")
    assert_kept("SK하이닉스와 sk-hynix 실적, secret: 없음, tokens: 1200")


# --- a realistic mix ----------------------------------------------------------


def test_it_masks_every_type_in_one_message() -> None:
    assert_masked(
        "[고객 문의] 홍길동(900101-1234567)님이 010-1234-5678, hong@naver.com으로 "
        "연락 요청. 카드 4111-1111-1111-1111 결제 실패, 로그의 Bearer abc123def456ghi "
        "토큰 만료. 주문번호 20250818-0012, ts 1724041200.123456",
        "[고객 문의] 홍길동([RRN])님이 [PHONE], [EMAIL]으로 "
        "연락 요청. 카드 [CARD] 결제 실패, 로그의 Bearer [SECRET] "
        "토큰 만료. 주문번호 20250818-0012, ts 1724041200.123456",
        {"rrn": 1, "phone": 1, "email": 1, "card": 1, "secret": 1},
    )


def test_it_masks_numbers_far_apart_in_a_long_text() -> None:
    filler = "오늘 회의는 오후 세시에 진행합니다. " * 500
    text = f"{filler}010-1234-5678{filler}02-123-4567{filler}"

    assert_masked(text, f"{filler}[PHONE]{filler}[PHONE]{filler}", {"phone": 2})


def test_it_never_keeps_the_original_sensitive_substring() -> None:
    cases = [
        ("제 번호는 010-1234-5678이고", "010-1234-5678"),
        ("+82 10 1234 5678로", "1234 5678"),
        ("메일 hong@naver.com으로", "hong@naver.com"),
        ("주민번호 900101-1234567", "1234567"),
        ("카드 4111 1111 1111 1111", "4111 1111 1111 1111"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.abc123", "eyJhbGciOiJIUzI1NiJ9"),
        ("SLACK_BOT_TOKEN=xoxb-123456789-abcdef", "xoxb-123456789"),
        ("password=hunter2!", "hunter2"),
        ("AWS AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ]
    for text, secret in cases:
        assert secret not in mask_pii(text).text, text


# --- false positives that must survive -----------------------------------------


def test_it_keeps_dates() -> None:
    assert_kept("배포일: 2025-08-18, 2025.08.18, 2025년 8월 18일, 18/08/2025")


def test_it_keeps_times_and_timestamps() -> None:
    assert_kept("회의 14:30:00 시작, 2025-08-18T14:30:00+09:00, 2025-08-18 14:30:00")


def test_it_keeps_order_numbers() -> None:
    assert_kept("주문번호 20250818-0012 와 ORD-2025-000123 확인 부탁드립니다")


def test_it_keeps_version_strings() -> None:
    assert_kept("v2.14.1 배포, Django 5.2.19 업그레이드, 1.2.3.4 태그")


def test_it_keeps_ip_addresses() -> None:
    assert_kept("서버 192.168.0.1, 10.0.0.254, 172.16.254.1 재시작")


def test_it_keeps_a_slack_ts_value() -> None:
    assert_kept("thread_ts=1724041200.123456, ts 1692345678.000200")


def test_it_keeps_slack_channel_and_user_ids() -> None:
    assert_kept("<#C0123ABCD> 채널에서 <@U024BE7LH>님이 작성")


def test_it_keeps_amounts() -> None:
    assert_kept("결제 금액 1,234,567원 (약 $1,299.99), 잔액 15000000원")


def test_it_keeps_short_numbers_and_robeing_ids() -> None:
    assert_kept("사과 3개, rb8001 과 rb10508 로빙")


def test_it_keeps_a_uuid() -> None:
    assert_kept("request_id 123e4567-e89b-12d3-a456-426614174000 처리 완료")


def test_it_keeps_a_url_without_credentials() -> None:
    assert_kept("링크: https://example.com/path?id=123")


def test_it_keeps_business_and_account_numbers() -> None:
    # Not in scope: business registration and bank account numbers.
    assert_kept("사업자번호 123-45-67890, 계좌 110-123-456789")


# --- properties -------------------------------------------------------------

_FRAGMENTS = [
    "010-1234-5678",
    "01012345678",
    "+82 10 1234 5678",
    "(02) 1234-5678",
    "+1 415-555-2671",
    "hong@naver.com",
    "900101-1234567",
    "4111 1111 1111 1111",
    "1234 5678 9012 3456",
    "Bearer abc123def456",
    "token=",
    "password: ",
    "xoxb-1234567890-abcdef",
    "AKIAIOSFODNN7EXAMPLE",
    "2025-08-18",
    "1724041200.123456",
    "postgres://u:p@h",
    "[PHONE]",
    "이고",
    "으로 ",
    " ",
    "-",
    "@",
]
_MESSAGES = st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=20)), max_size=12).map(
    "".join
)


@settings(max_examples=500, deadline=None)
@given(_MESSAGES)
def test_it_is_idempotent(text: str) -> None:
    once = mask_pii(text)
    twice = mask_pii(once.text)

    assert twice.text == once.text
    assert twice.counts == {}


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_it_never_raises_on_arbitrary_text(text: str) -> None:
    result = mask_pii(text)

    assert isinstance(result.text, str)
    assert all(count > 0 for count in result.counts.values())
    assert set(result.counts) <= set(PLACEHOLDERS)
