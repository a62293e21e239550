"""Finance datasets: synthetic card payments and loan applications, and public-data readers.

Tables are :class:`TransactionTable` (NumPy columns, ``len``, rows as dicts) with
a :class:`DatasetCard` saying source, licence, seed and counts.
"""

from yangcheng.finance.data.loaders import DataFormatError, load_uci_taiwan, load_ulb_creditcard
from yangcheng.finance.data.synthetic_cards import generate_card_transactions
from yangcheng.finance.data.synthetic_loans import generate_loan_applications
from yangcheng.finance.data.table import DatasetCard, TransactionTable

__all__ = [
    "DataFormatError",
    "DatasetCard",
    "TransactionTable",
    "generate_card_transactions",
    "generate_loan_applications",
    "load_uci_taiwan",
    "load_ulb_creditcard",
]
