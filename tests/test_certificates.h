// tests/test_certificates.h
//
// A throwaway CA and a server certificate it signs (for "localhost" and 127.0.0.1),
// written as PEM files into a directory, for TLS tests against loopback servers.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace andon::testing {

struct TestCertificates {
  std::string ca_file;
  std::string cert_file;  // server certificate, signed by the CA
  std::string key_file;   // its private key
};

namespace cert_detail {

inline EVP_PKEY* NewKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) throw std::runtime_error("EVP_EC_gen failed");
  return key;
}

inline X509* NewCert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, bool is_ca,
                     long serial) {  // NOLINT(google-runtime-int): OpenSSL's type
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 7 * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  };
  if (is_ca) {
    add(NID_basic_constraints, "critical,CA:TRUE");
    add(NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add(NID_basic_constraints, "CA:FALSE");
    add(NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  }
  X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256());
  return cert;
}

inline void WritePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) throw std::runtime_error("cannot write " + path);
  if (cert) PEM_write_X509(f, cert);
  if (key) PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

}  // namespace cert_detail

// Writes ca.pem, server.pem and server-key.pem into `dir`.
inline TestCertificates MakeTestCertificates(const std::string& dir) {
  using namespace cert_detail;
  EVP_PKEY* ca_key = NewKey();
  X509* ca = NewCert(ca_key, "andon test CA", nullptr, nullptr, true, 1);
  EVP_PKEY* key = NewKey();
  X509* cert = NewCert(key, "localhost", ca, ca_key, false, 2);
  TestCertificates out{dir + "/ca.pem", dir + "/server.pem", dir + "/server-key.pem"};
  WritePem(out.ca_file, ca, nullptr);
  WritePem(out.cert_file, cert, nullptr);
  WritePem(out.key_file, nullptr, key);
  X509_free(cert);
  X509_free(ca);
  EVP_PKEY_free(key);
  EVP_PKEY_free(ca_key);
  return out;
}

}  // namespace andon::testing
