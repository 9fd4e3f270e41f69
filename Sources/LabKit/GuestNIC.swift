/// Names of a guest's NIC: inside the guest it is always `eth0`; on the host it is the tap, `vnetN`.
public enum GuestNIC {
  public static let name = "eth0"
}
