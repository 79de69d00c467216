"""Valid test ID numbers, computed independently of the code under test."""


def iso7064_check(first17: str) -> str:
    """ISO 7064 MOD 11-2: weights are 2**(17-i) mod 11; check = (12 - sum) mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def make_id(region: str = "230102", birth: str = "19550312", seq: str = "123") -> str:
    first17 = region + birth + seq
    return first17 + iso7064_check(first17)
