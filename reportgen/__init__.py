"""reportgen: AWS Shared Responsibility Model audit packs for PCI DSS, ISO/IEC 27001 and SOC 2."""

__version__ = "0.1.0"
