"""The voucher parser (evidence.extraction): OCR's lines into the contract's fields."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evidence.extraction import (
    FIELDS,
    extract_fields,
    parse_amount,
    parse_currency,
    parse_datetime,
    rows_from_boxes,
)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("¥3,600.00", "3600.00"),
        ("￥3,600.00", "3600.00"),
        ("-¥3,600.00", "3600.00"),
        ("3600元", "3600.00"),
        ("3600.5元", "3600.50"),
        ("$1,234.50", "1234.50"),
        ("USD 1,234,567.89", "1234567.89"),
        ("12 500,00 ₽", "12500.00"),
        ("12\u00a0500,00 ₽", "12500.00"),
        ("1.234,56 €", "1234.56"),
        ("1'234.50 CHF", "1234.50"),
        ("RMB 1,000,000", "1000000.00"),
        ("金额：88.8", "88.80"),
        ("Total 7", "7.00"),
    ],
)
def test_amounts_in_every_notation(text, amount):
    assert parse_amount(text) == Decimal(amount)


def test_no_number_is_no_amount():
    assert parse_amount("Transfer successful") is None


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("¥3,600.00", "CNY"),
        ("￥88", "CNY"),
        ("3600元", "CNY"),
        ("RMB 100", "CNY"),
        ("人民币 100", "CNY"),
        ("CNY 100", "CNY"),
        ("$12", "USD"),
        ("US$ 12", "USD"),
        ("12 500,00 ₽", "RUB"),
        ("1 500 руб.", "RUB"),
        ("€5", "EUR"),
        ("EUR 5", "EUR"),
        ("£5", "GBP"),
        ("R$ 50,00", "BRL"),
    ],
)
def test_currencies_by_symbol_and_code(text, currency):
    assert parse_currency(text) == currency


def test_a_crypto_amount_names_no_fiat_currency():
    assert parse_currency("USDT 500") is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-12-01 14:32:10", "2026-12-01T14:32:10"),
        ("付款时间2026-12-0114:32:10", "2026-12-01T14:32:10"),
        ("2026/12/01 14:32", "2026-12-01T14:32:00"),
        ("2026.12.01 09:05:07", "2026-12-01T09:05:07"),
        ("2026年12月1日 09:05", "2026-12-01T09:05:00"),
        ("2026年12月1日09:05:33", "2026-12-01T09:05:33"),
        ("01.12.2026 14:32", "2026-12-01T14:32:00"),
        ("25/12/2026 10:00", "2026-12-25T10:00:00"),
        ("12/25/2026 10:00 AM", "2026-12-25T10:00:00"),
        ("Dec 1, 2026 2:32 PM", "2026-12-01T14:32:00"),
        ("1 December 2026, 12:05 am", "2026-12-01T00:05:00"),
        ("Paid on 3 Mar 2026 at 10:15", "2026-03-03T10:15:00"),
        ("2026-12-01 14:32 (UTC+8)", "2026-12-01T14:32:00+08:00"),
        ("2026-12-01 14:32:10 GMT+03:00", "2026-12-01T14:32:10+03:00"),
        ("2026-12-01T06:32:10Z", "2026-12-01T06:32:10+00:00"),
        ("2026-12-01", "2026-12-01"),
    ],
)
def test_dates_and_times_in_every_notation(text, iso):
    assert parse_datetime(text) == iso


@pytest.mark.parametrize("text", ["14:32", "2026-13-45 10:00", "ORD-20261201", "1999-01-01 10:00"])
def test_no_date_or_an_impossible_one_is_none(text):
    assert parse_datetime(text) is None


def test_an_english_bank_app_receipt():
    lines = [
        "14:32 4G",
        "Transfer details",
        "Transfersuccessful",
        "$1,234.50",
        "Wise",
        "From John Smith",
        "****1234",
        "To Li Na",
        "Date 2026-12-0114:32:10",
        "Reference ORD-123456",
        "TransactionID 2026120112345678901234",
    ]
    assert extract_fields(lines) == {
        "amount": "1234.50",
        "currency": "USD",
        "payer_name": "John Smith",
        "paid_at": "2026-12-01T14:32:10",
        "reference": "2026120112345678901234",
        "text": "\n".join(lines),
    }


def test_a_chinese_bank_app_receipt():
    lines = [
        "交易详情",
        "转账成功",
        "￥3,600.00",
        "付款人 张伟",
        "****1234",
        "收款人 李娜",
        "转账时间 2026-12-0114:32:10",
        "转账附言 ORD-123456",
        "交易单号 2026120112345678901234",
    ]
    found = extract_fields(lines)
    assert (found["amount"], found["currency"]) == ("3600.00", "CNY")
    assert found["payer_name"] == "张伟"
    assert found["paid_at"] == "2026-12-01T14:32:10"
    assert found["reference"] == "2026120112345678901234"


def test_labels_glued_to_their_values_as_ocr_reads_them():
    found = extract_fields(
        [
            "付款金额￥520.00",
            "付款方王芳(****8899)",
            "交易时间2026-11-3023:59:01",
            "流水号 4200001234202611305678",
        ]
    )
    assert found["amount"] == "520.00"
    assert found["payer_name"] == "王芳"
    assert found["paid_at"] == "2026-11-30T23:59:01"
    assert found["reference"] == "4200001234202611305678"


@pytest.mark.parametrize(
    ("lines", "payer"),
    [
        (["Payer: Maria Garcia"], "Maria Garcia"),
        (["Paid by Chen Jing"], "Chen Jing"),
        (["Sender  Olga Ivanova 4276 **** 1234"], "Olga Ivanova"),
        (["Paidby Tom Lee"], "Tom Lee"),
        (["转账人：刘洋"], "刘洋"),
        (["付款人", "赵敏"], "赵敏"),
    ],
)
def test_payer_labels(lines, payer):
    assert extract_fields(lines)["payer_name"] == payer


def test_a_payer_label_with_only_an_account_number_finds_no_name():
    assert extract_fields(["From ****1234"])["payer_name"] is None


@pytest.mark.parametrize(
    ("lines", "reference"),
    [
        (["订单号：2026120100012345"], "2026120100012345"),
        (["参考号 REF-77881"], "REF-77881"),
        (["Ref: AB12CD34"], "AB12CD34"),
        (["Transaction ID: TX-9F8E7D6C"], "TX-9F8E7D6C"),
        (["Reference Rent december", "Transaction ID 99887766"], "99887766"),
    ],
)
def test_reference_labels_the_transaction_id_first(lines, reference):
    assert extract_fields(lines)["reference"] == reference


def test_a_labelled_amount_wins_over_other_figures():
    found = extract_fields(["Balance $9,999.00", "Amount €250.00", "Fee €0.00"])
    assert (found["amount"], found["currency"]) == ("250.00", "EUR")


def test_a_currency_row_names_the_currency_of_a_bare_amount():
    found = extract_fields(["Amount 1,500.00", "Currency: USD"])
    assert (found["amount"], found["currency"]) == ("1500.00", "USD")


def test_an_amount_whose_symbol_ocr_lost_is_still_read():
    found = extract_fields(["Перевод выполнен", "12 500,00", "Wise"])
    assert (found["amount"], found["currency"]) == ("12500.00", None)


def test_a_date_without_a_label_is_the_fallback():
    assert extract_fields(["Payment done", "2026-10-09 08:00"])["paid_at"] == "2026-10-09T08:00:00"


def test_nothing_found_gives_every_field_null():
    assert extract_fields([]) == dict.fromkeys(FIELDS)
    assert extract_fields(["hello world"]) == {**dict.fromkeys(FIELDS), "text": "hello world"}


def test_boxes_on_one_row_are_joined_left_to_right():
    boxes = [
        ([[400, 100], [480, 100], [480, 120], [400, 120]], "张伟"),
        ([[30, 102], [90, 102], [90, 121], [30, 121]], "付款人"),
        ([[30, 150], [200, 150], [200, 170], [30, 170]], "转账时间 2026-12-01"),
        ([[30, 10], [90, 10], [90, 30], [30, 30]], " "),
    ]
    assert rows_from_boxes(boxes) == ["付款人 张伟", "转账时间 2026-12-01"]


def test_latin_words_ocr_glued_are_split_again():
    assert extract_fields(["From JohnSmith"])["payer_name"] == "John Smith"
