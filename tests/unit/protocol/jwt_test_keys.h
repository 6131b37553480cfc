#pragma once

// Fixed test keys for jwt_test.cc, made once with the openssl command line (never used outside
// tests), and tokens made with python3-jwt 2.6 from them (exp 4102444800, 2100-01-01).

namespace herald::protocol::testkeys {

inline constexpr const char* kRsaPem = R"pem(-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC8IbPBYMehMf71
YnkisyIa2bMLl+xVnyBF1CGyfIwdKyPkuwxxRas4w6njPrPtOzyIzFXwwkbZ/WP+
1Bm+hyGJ16OIyOo9htpgU0P9XsGIqXCRZprkO5Nyz9KhVUhezZSKA0ntQ/7DU960
ZLPoNeGREO0qPiuiRObvJwNTRNG62SXyMGT8wfcdfiAv+HBnUmGyyKM/CjdCwZtd
YzOlo++DA/vDRvGLHNqxRFW60aYRVS8BtQH8mgg9IHD7UP8mTMk3be2W8Wo3dH9k
AGDJuYBRUG4tGvAFqfOFZB/6p/FNPvj4Zv2JqTGJkEW6lDO9SMeWVvKRZD0OshjJ
hIR4RAMnAgMBAAECggEABbqxr+LDzEJqr8wNwVia4h4dcu3E/5SG1emQadBGL2s4
FB1S0y5FI8eS/b3T7+u9EQjGrebUuTXGHPrA7/RLOViXp9uVL/DSkgVnItOxvs4z
hJIPMdfTSoykBFAbEfFeeSzWzFgk7YuOfYg65whLtBsZBeTPzQjJJEutW79S8xw1
Ts6CbF7bzzhYE1DrTucJr7We/KHncd7PWtfbnxs9rWiD8xEgk1rYAf4WUJyt9dOX
tfwQNeh4to0N3yLc4hSd5merHv2/bfPHTpuwZJkfY2tLTkII2ctxFp6Kgf8EwGOe
1a1f86TeXWOjvx8guBjOW5r40m3fyuUPaPjXSEcvHQKBgQD/EtdIK4Gqq/t2qKHB
HuS71B7IF6DoqQxrFpXfQxUwhRmFH0jM9Er7ShfrAshDY4trBo9CseRStcbu7w6B
Q6SiA4Gh2PZSdeolDLdf0QVvmaoPagH9Uo5B8YeDmnrH90WqX6uyKSgvJMSGwgn8
QG7Rl5A3/KDj3mLgfk/3voMGDQKBgQC80J7ssJelmbPWD0KCaYp/JOSkM6HR+Zj7
0SdbOwE7HTA3X3eCGSZPvkwqlMOOWmLj89KKeIVFzhj07fVmkcNTr/hUCaHvlS0R
wZkK2p9qf8Qe5lPJkbMmRYRC3J0V6knfdSdB7O/Uwvx4WP3ZRJpeGG4gexAm6o0M
YSZHiBN1AwKBgCoMvRjUs0ejmozxN9lScnrUeU6bNpekZruwuXxY3sFk79QWWDYR
f9r1WAQSLVmOq4k1R6DDGtTXyrfRCR8eO6HJ2jEIR3NIpRT+h6xwFOlU98gavcE5
PuJ4ItL7QIp+pSl1JCT2y/0ZnpxomKTRKnO6/Ld+Gjf2jW5c5Gn/KjJxAoGBAIKa
e5OVAxBVJQPoQkUa4+XWiyDZZhFr6Nombma4hb1yDyv+KRggdVOredvqUupgsw6i
VPvbKbSDPtgM0TZFlSqKCed3Uj/6m9YwZ8AOQT7Vab9F6qb+1UCfzUDCgRXrnXWn
/6OmVK6CwUgtpklnHq//jg2BkkaY7z+k42mPQoYpAoGBAKv/aa2NZmQYMumdaIiz
MCTbZBcucW1rTD1Xe1QdNnsCkj3Xun+uYPegS9w7grOs1HDW+AFqMDHPanBLPNo9
vIKnk0hJORiGDlL9L7WxHTy3Rsjjo7wmnZjK3ty4+Bfb12dCoRGY0+ztm8EhlJrM
quUB4Z/Frp8Ce4G585UybBGB
-----END PRIVATE KEY-----
)pem";

inline constexpr const char* kRsaPubPem = R"pem(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvCGzwWDHoTH+9WJ5IrMi
GtmzC5fsVZ8gRdQhsnyMHSsj5LsMcUWrOMOp4z6z7Ts8iMxV8MJG2f1j/tQZvoch
idejiMjqPYbaYFND/V7BiKlwkWaa5DuTcs/SoVVIXs2UigNJ7UP+w1PetGSz6DXh
kRDtKj4rokTm7ycDU0TRutkl8jBk/MH3HX4gL/hwZ1JhssijPwo3QsGbXWMzpaPv
gwP7w0bxixzasURVutGmEVUvAbUB/JoIPSBw+1D/JkzJN23tlvFqN3R/ZABgybmA
UVBuLRrwBanzhWQf+qfxTT74+Gb9iakxiZBFupQzvUjHllbykWQ9DrIYyYSEeEQD
JwIDAQAB
-----END PUBLIC KEY-----
)pem";

inline constexpr const char* kRsaPubPkcs1Pem = R"pem(-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAvCGzwWDHoTH+9WJ5IrMiGtmzC5fsVZ8gRdQhsnyMHSsj5LsMcUWr
OMOp4z6z7Ts8iMxV8MJG2f1j/tQZvochidejiMjqPYbaYFND/V7BiKlwkWaa5DuT
cs/SoVVIXs2UigNJ7UP+w1PetGSz6DXhkRDtKj4rokTm7ycDU0TRutkl8jBk/MH3
HX4gL/hwZ1JhssijPwo3QsGbXWMzpaPvgwP7w0bxixzasURVutGmEVUvAbUB/JoI
PSBw+1D/JkzJN23tlvFqN3R/ZABgybmAUVBuLRrwBanzhWQf+qfxTT74+Gb9iakx
iZBFupQzvUjHllbykWQ9DrIYyYSEeEQDJwIDAQAB
-----END RSA PUBLIC KEY-----
)pem";

inline constexpr const char* kRsa1024PubPem = R"pem(-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC+KUBnUBu5C8XHg5iJvyeim5Mz
eVRP5NfAzmKzfNGT3W1Kw2RcmxcxcHPYJo1aZBQRkTsQmKaMMRdrFSKXq5N2SzPF
COZCuHcYuKantPNdFIse3iHeUgcU8JTq/FQBS1ci1O1fNejt/7lcA8Ty5HYhppoj
NVre6v9fQ3NanoZjUQIDAQAB
-----END PUBLIC KEY-----
)pem";

inline constexpr const char* kEcPem = R"pem(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgmahs3jdftd9NP7Em
UrV/rCT5sFQTi7oVwq0VakDy4xGhRANCAAR1Wx/50cgE+WrdoJwc0ljB1Rmd5UUx
HssnZQFHJGjfSTDO2EFyXXZKFhDnxbr3W6HEHyriqrtFvn+ccqNNaXLA
-----END PRIVATE KEY-----
)pem";

inline constexpr const char* kEcPubPem = R"pem(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEdVsf+dHIBPlq3aCcHNJYwdUZneVF
MR7LJ2UBRyRo30kwzthBcl12ShYQ58W691uhxB8q4qq7Rb5/nHKjTWlywA==
-----END PUBLIC KEY-----
)pem";

inline constexpr const char* kEc384PubPem = R"pem(-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAET4ICV2pjsv8U80UhXCjzn/4IHxXgM3xh
Wjkb0AiBxMarSf8TGDNBnVfU7nnjcVS3RbqBZxxZ3NGg13CQDGFkujP0Lrj35jFc
UzuliuidJ6lgpXn56AhJCQ37T+v1fjeF
-----END PUBLIC KEY-----
)pem";

inline constexpr const char* kEdPubPem = R"pem(-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAPxo1Z7FvtwlabmfeTG9I0L2P6oDGmY/l+o26b5y0Zsk=
-----END PUBLIC KEY-----
)pem";

// A self-signed certificate for kEcPem's key (openssl req -x509 -key ec.pem).
inline constexpr const char* kEcCertPem = R"pem(-----BEGIN CERTIFICATE-----
MIIBhDCCASmgAwIBAgIUb684irjIwkcCqyoiApOVRS+eFO4wCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLaGVyYWxkLXRlc3QwIBcNMjYxMjA2MDQ0NjEwWhgPMjEyNjEx
MTIwNDQ2MTBaMBYxFDASBgNVBAMMC2hlcmFsZC10ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEdVsf+dHIBPlq3aCcHNJYwdUZneVFMR7LJ2UBRyRo30kwzthB
cl12ShYQ58W691uhxB8q4qq7Rb5/nHKjTWlywKNTMFEwHQYDVR0OBBYEFOKnQH4P
jarGrU+gKTguT0p3vnGvMB8GA1UdIwQYMBaAFOKnQH4PjarGrU+gKTguT0p3vnGv
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhANwjyYmPT7TY5qU4
XRAz16k6+KIn/Qlk43vUK7joXdeMAiEAjWYdtweJ6F0aeIRmuf1HAfXqOyc/pWoQ
luVHE24cn3I=
-----END CERTIFICATE-----
)pem";

}  // namespace herald::protocol::testkeys
